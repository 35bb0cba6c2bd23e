<#
.SYNOPSIS
    Pipeline throughput of Test-AlpRequest: request objects (PSCustomObjects) piped in, decisions per second.
.DESCRIPTION
    Two policy sets: "small" (tools/replay-policy.yaml, one pod's three rules; destination web/api given on the command
    line) and "large" (generated: 200 GlobalNetworkPolicies x 100 ingress rules = 20,000 rules, 400 pods in 20
    namespaces; source and destination are pods found by IP, so every request names two of the 400 workloads). For each
    run, each module given and each set, a fresh 'dotnet pwsh' imports the module, builds -Count objects (not timed) and
    times (after one untimed pass over the same objects, so that the figure is steady state rather than start-up JIT)
    `$null = $requests | Test-AlpRequest -PolicyPath <set> ...`. Modules and sets are interleaved run by run, so
    an old and a new module are measured under the same load. Prints median (min - max) decisions/s per module and set,
    and the median of the untimed first pass (a new session's first pipeline: JIT, and for the large set loading and
    compiling the 20,000 rules, unless the module keeps compiled policy files across pipelines).
.EXAMPLE
    ./tools/bench/Measure-PipelineThroughput.ps1 -Module out/CalicoAlp/CalicoAlp.psd1, /tmp/old/out/CalicoAlp/CalicoAlp.psd1 -Runs 3
#>
[CmdletBinding()]
param(
    [string[]] $Module = @((Join-Path $PSScriptRoot '../../out/CalicoAlp/CalicoAlp.psd1')),
    [int] $Count = 20000,
    [int] $Runs = 3,
    [string] $WorkDir = (Join-Path $PSScriptRoot '../../out/bench/pipeline')
)
$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Force -Path $WorkDir | Out-Null
$small = Join-Path $WorkDir 'small.yaml'
Copy-Item -LiteralPath (Join-Path $PSScriptRoot '../replay-policy.yaml') -Destination $small -Force
$large = Join-Path $WorkDir 'large-20000-rules.yaml'
if (-not (Test-Path $large)) {
    # Seeded and deterministic: 400 pods (app-<i>, namespace ns-<i % 20>, service account sa-<i % 40>, tier t-<i % 8>,
    # IP 10.2.<i / 200>.<i % 200 + 1>) and 200 policies, each selecting one tier (50 pods) with 100 ingress rules:
    # source selector + TCP port, service-account names + TCP port, source nets, method + path prefix; every 20th rule (a selector rule) a Deny.
    $sb = [Text.StringBuilder]::new()
    for ($i = 0; $i -lt 400; $i++) {
        $null = $sb.Append("apiVersion: v1`nkind: Pod`nmetadata: {name: app-$i, namespace: ns-$($i % 20), labels: {app: app-$i, tier: t-$($i % 8)}}`n")
        $null = $sb.Append("spec: {serviceAccountName: sa-$($i % 40)}`nstatus: {podIP: 10.2.$([math]::Floor($i / 200)).$($i % 200 + 1)}`n---`n")
    }
    for ($p = 0; $p -lt 200; $p++) {
        $null = $sb.Append("apiVersion: projectcalico.org/v3`nkind: GlobalNetworkPolicy`nmetadata: {name: gnp-$p}`nspec:`n  order: $p`n  selector: tier == 't-$($p % 8)'`n  ingress:`n")
        for ($r = 0; $r -lt 100; $r++) {
            $n = $p * 100 + $r
            $action = if ($r % 20 -eq 0) { 'Deny' } else { 'Allow' }
            switch ($r % 4) {
                0 { $null = $sb.Append("  - action: $action`n    protocol: TCP`n    source: {selector: app == 'app-$($n % 397)'}`n    destination: {ports: [$(8000 + $n % 50)]}`n") }
                1 { $null = $sb.Append("  - action: $action`n    protocol: TCP`n    source: {serviceAccounts: {names: [sa-$($n % 41)]}}`n    destination: {ports: [$(9000 + $n % 30)]}`n") }
                2 { $null = $sb.Append("  - action: $action`n    source: {nets: [10.3.$($n % 250).0/24]}`n") }
                3 { $null = $sb.Append("  - action: $action`n    http: {methods: [POST], paths: [{prefix: /admin/$n}]}`n") }
            }
        }
        $null = $sb.Append("---`n")
    }
    Set-Content -LiteralPath $large -Value $sb.ToString() -NoNewline
}

$build = @{
    small = "`$principals = 'spiffe://cluster.local/ns/web/sa/frontend', 'spiffe://cluster.local/ns/web/sa/batch', 'spiffe://cluster.local/ns/other/sa/default', ''`n" +
        "`$methods = 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'; `$paths = '/v1/items', '/v1/items/42', '/v2/orders', '/admin/config', '/healthz', '/v1/items?page=2'`n" +
        "for (`$i = 0; `$i -lt $Count; `$i++) { `$requests[`$i] = [pscustomobject]@{ SourcePrincipal = `$principals[`$rng.Next(4)]; SourceIP = `"10.1.`$(`$rng.Next(4)).`$(`$rng.Next(1, 50))`"; SourcePort = `$rng.Next(32768, 61000); DestinationPort = 8080; Method = `$methods[`$rng.Next(6)]; Path = `$paths[`$rng.Next(6)] } }`n" +
        "`$extra = @{ DestinationNamespace = 'web'; DestinationServiceAccount = 'api'; DestinationLabels = @{ app = 'api' } }"
    large = "`$methods = 'GET', 'POST', 'PUT'`n" +
        "function Ip(`$i) { `"10.2.`$([math]::Floor(`$i / 200)).`$(`$i % 200 + 1)`" }`n" +
        "for (`$i = 0; `$i -lt $Count; `$i++) { `$requests[`$i] = [pscustomobject]@{ SourceIP = (Ip `$rng.Next(400)); SourcePort = `$rng.Next(32768, 61000); DestinationIP = (Ip `$rng.Next(400)); DestinationPort = 8000 + `$rng.Next(50) + 1000 * `$rng.Next(2); Method = `$methods[`$rng.Next(3)]; Path = `"/admin/`$(`$rng.Next(20000))/x`" } }`n" +
        "`$extra = @{}"
}
$policy = @{ small = $small; large = $large }
$results = @{}
$firsts = @{}
for ($run = 1; $run -le $Runs; $run++) {
    foreach ($set in 'small', 'large') {
        foreach ($m in $Module) {
            $path = (Resolve-Path $m).Path
            $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$path'`n`$rng = [Random]::new(42); `$requests = [object[]]::new($Count)`n$($build[$set])`n" +
                # One whole untimed pass first: the timed one measures steady state, not the JIT's tier-0 code of a new process.
                "`$sw = [Diagnostics.Stopwatch]::StartNew(); `$null = `$requests | Test-AlpRequest -PolicyPath '$($policy[$set])' @extra; `$first = `$sw.Elapsed.TotalSeconds`n" +
                "`$sw = [Diagnostics.Stopwatch]::StartNew()`n`$r = `$requests | Test-AlpRequest -PolicyPath '$($policy[$set])' @extra`n`$sw.Stop()`n" +
                "`$allowed = @(`$r | Where-Object { `"`$(`$_.Decision)`" -eq 'Allow' }).Count`n" +
                "`"BENCH `$(`$sw.Elapsed.TotalSeconds) `$(@(`$r).Count) `$allowed `$first`""
            $out = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1
            $line = @($out | Where-Object { "$_" -like 'BENCH *' })[0]
            if (-not $line) { $out | Write-Host; throw "Run failed: $m, $set" }
            $null, $seconds, $objects, $allowed, $firstSeconds = "$line" -split ' '
            $rate = $Count / [double] $seconds
            $firstRate = $Count / [double] $firstSeconds
            Write-Host ("run {0} {1,-5} {2}: {3:N0} decisions/s ({4} decisions, {5} allowed; first pass {6:N0}/s; load {7})" -f $run, $set, $m, $rate, $objects, $allowed, $firstRate, ((Get-Content /proc/loadavg -Raw -ErrorAction SilentlyContinue) -split ' ')[0])
            $results["$m|$set"] += @($rate)
            $firsts["$m|$set"] += @($firstRate)
        }
    }
}
foreach ($set in 'small', 'large') {
    foreach ($m in $Module) {
        $v = @($results["$m|$set"] | Sort-Object)
        $median = $v[[math]::Floor(($v.Count - 1) / 2)]
        if ($v.Count % 2 -eq 0) { $median = ($v[$v.Count / 2 - 1] + $v[$v.Count / 2]) / 2 }
        $f = @($firsts["$m|$set"] | Sort-Object)
        [pscustomobject]@{ Set = $set; Module = $m; 'Median decisions/s' = [math]::Round($median); Min = [math]::Round($v[0]); Max = [math]::Round($v[-1]); Runs = $v.Count
            'First pass median/s' = [math]::Round($f[[math]::Floor(($f.Count - 1) / 2)]) }
    }
}
