<#
.SYNOPSIS
    Bench -Suite Fleet: one cmdlet call on three local control planes at once against the same call on one.
.DESCRIPTION
    Starts (or reuses) three local control planes (tests/cluster/cluster.sh, the default fixture each), gives each
    kubeconfig its own cluster, user and context names (fleet1-admin, fleet2-admin, fleet3-admin), imports the built
    module once and times, alternately, -Runs calls of
        Enable-CalicoAppLayerPolicy -Kubeconfig <the three files> -Context fleet1-admin -WhatIf
        Enable-CalicoAppLayerPolicy -Kubeconfig <the three files> -Context fleet1-admin, fleet2-admin, fleet3-admin -WhatIf
    and the same three with -ThrottleLimit 1 (one after the other, what running them in parallel saves)
    (each call opens its connections, checks the prerequisites, reads the objects and validates the four writes with a
    server-side dry run: read-heavy, nothing is written). Prints the medians (min - max) and their ratio; the target
    is a ratio <= 1.5. -Latency puts each cluster behind the project's fault proxy, which holds every request that many
    milliseconds (clusters a round trip away). Clusters it started are stopped at the end. See docs/performance.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Fleet
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-FleetBench.ps1 -State /tmp/me-k8s-a, /tmp/me-k8s-b, /tmp/me-k8s-c -Runs 15
#>
[CmdletBinding()]
param(
    # Three cluster state folders (started here when not running; 'a,b,c' from pwsh -File is split too); default:
    # three fresh ones under the temp folder.
    [string[]] $State,
    # Timed calls of each kind (after one warm-up of each).
    [ValidateRange(1, 1000)]
    [int] $Runs = 11,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/CalicoAlp/CalicoAlp.psd1'),
    # Milliseconds each request waits at the project's fault proxy (tests/CalicoAlp.FaultProxy, one per cluster,
    # a "delay" rule on every request) before going to its API server: clusters a round trip away, as remote ones are.
    # 0 (default): the API servers are called directly.
    [ValidateRange(0, 1000)]
    [int] $Latency = 0
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
. (Join-Path $PSScriptRoot 'BenchStats.ps1')
Assert-BuiltModule $ModulePath

$clusterScript = Get-ClusterScript
$State = @($State | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
if ($State.Count -ne 0 -and $State.Count -ne 3) { throw "-State takes three cluster state folders, not $($State.Count)." }
if (-not $State) { $State = 1..3 | ForEach-Object { Join-Path ([IO.Path]::GetTempPath()) "calicoalp-fleet-$PID-$_" } }
$started = @()
$proxies = @()
$work = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-fleet-bench-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
try {
    Invoke-Native bash $clusterScript install | Out-Null
    $files = @()
    for ($i = 0; $i -lt 3; $i++) {
        $s = $State[$i]
        & bash $clusterScript status $s *> $null
        if ($LASTEXITCODE -ne 0) {
            Invoke-Native bash $clusterScript start $s | Out-Host
            $started += $s
        }
        Invoke-Native bash $clusterScript fixture $s | Out-Null
        # Same names in every file (calicoalp-local, admin, ...): rename them so that the three files merge.
        $p = "fleet$($i + 1)"
        $text = (Get-Content (Join-Path $s 'kubeconfig') -Raw) -replace 'calicoalp-local', "$p-local" -replace 'calicoalp-(admin|viewer|noaccess)', "$p-user-`$1" -replace '(?m)^(- name|current-context): (admin|viewer|noaccess)$', "`$1: $p-`$2"
        if ($Latency -gt 0) {
            # The cluster behind its own fault proxy: the kubeconfig points at the proxy and trusts its certificate.
            $clusterEnv = Get-Content (Join-Path $s "env") -Raw | ConvertFrom-StringData
            $proxyState = Join-Path $work "$p-proxy"
            $proxyDll = Join-Path $PSScriptRoot '../../tests/CalicoAlp.FaultProxy/bin/Release/net10.0/CalicoAlp.FaultProxy.dll'
            if (-not (Test-Path $proxyDll)) { Invoke-Native dotnet build (Join-Path $PSScriptRoot '../../tests/CalicoAlp.FaultProxy') -c Release --nologo --verbosity quiet }
            $proxies += Start-Process dotnet -ArgumentList $proxyDll, '--upstream', $clusterEnv.APISERVER_URL, "--upstream-ca", $clusterEnv.CA_CERT, '--state-dir', $proxyState, '--no-http2' -PassThru -RedirectStandardOutput (Join-Path $work "$p-proxy.out")
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not (Test-Path (Join-Path $proxyState 'proxy.json'))) {
                if ([DateTime]::UtcNow -gt $deadline) { throw "the fault proxy for $p did not start" }
                Start-Sleep -Milliseconds 100
            }
            $info = Get-Content (Join-Path $proxyState 'proxy.json') -Raw | ConvertFrom-Json
            Invoke-RestMethod -Method Post -Uri ($info.controlUrl + 'faults') -SkipCertificateCheck -ContentType 'application/json' `
                -Body (@{ name = 'latency'; action = 'delay'; delayMs = $Latency } | ConvertTo-Json) | Out-Null
            $text = $text -replace 'server: https://127\.0\.0\.1:\d+', "server: $($info.url.TrimEnd('/'))" -replace 'certificate-authority-data: \S+', "certificate-authority: $($info.certificatePemPath)"
        }
        $f = Join-Path $work "$p.kubeconfig"
        Set-Content -Path $f -Value $text -NoNewline
        $files += $f
    }
    # A runspace of its own without a host: the -WhatIf lines go nowhere instead of to the console, and the module is
    # imported once for every call.
    $ps = [PowerShell]::Create()
    [void]$ps.AddScript("Import-Module '$ModulePath'").Invoke()
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $one = @('fleet1-admin')
    $three = @('fleet1-admin', 'fleet2-admin', 'fleet3-admin')
    $cpu = @{ 1 = @(); 3 = @() }
    function Measure-Call([string[]] $Contexts, [int] $ThrottleLimit = 5) {
        $ps.Commands.Clear(); $ps.Streams.ClearStreams()
        [void]$ps.AddCommand('Enable-CalicoAppLayerPolicy').AddParameter('Kubeconfig', $files).AddParameter('Context', $Contexts).AddParameter('WhatIf', $true).AddParameter('ThrottleLimit', $ThrottleLimit)
        $self.Refresh(); $cpu0 = $self.TotalProcessorTime
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = @($ps.Invoke())
        $sw.Stop()
        $self.Refresh(); if ($ThrottleLimit -gt 1) { $cpu[$Contexts.Count] += ($self.TotalProcessorTime - $cpu0).TotalMilliseconds }
        if ($ps.Streams.Error.Count -gt 0) { throw "the call failed: $($ps.Streams.Error[0])" }
        if ($r.Count -ne 4 * $Contexts.Count) { throw "expected $(4 * $Contexts.Count) results, got $($r.Count)" }
        $sw.Elapsed.TotalMilliseconds
    }
    [void](Measure-Call $one); [void](Measure-Call $three) # warm-up (JIT, first TLS handshakes)
    $cpu[1] = @(); $cpu[3] = @() # the warm-up is not counted
    $load = Get-LoadAverage
    $t1 = @(); $t3 = @(); $tSerial = @()
    for ($run = 0; $run -lt $Runs; $run++) {
        $t1 += Measure-Call $one
        $t3 += Measure-Call $three
        $tSerial += Measure-Call $three -ThrottleLimit 1
    }
    $s1 = Get-BenchStats $t1
    $s3 = Get-BenchStats $t3
    $sSerial = Get-BenchStats $tSerial
    $ratio = $s3.Median / $s1.Median
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'one control plane, median', $s1.Median, $s1.Min, $s1.Max
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'three control planes at once, median', $s3.Median, $s3.Min, $s3.Max
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'three, one after the other (-ThrottleLimit 1)', $sSerial.Median, $sSerial.Min, $sSerial.Max
    '{0,-38} {1,8:N2}x  (target <= 1.5x); {2} runs each; load average before: {3}; after: {4}' -f 'ratio of the medians', $ratio, $Runs, $load, (Get-LoadAverage)
    if ($Latency -gt 0) { '{0,-38} {1,8} ms added to every request by a fault proxy per cluster' -f 'latency', $Latency }
    # The client's own CPU per call (this process: TLS, JSON, planning); the API servers' CPU is on the same machine.
    '{0,-38} {1,8:N0} ms CPU for one, {2:N0} ms for three (medians)' -f 'module process CPU per call', (Get-BenchStats $cpu[1]).Median, (Get-BenchStats $cpu[3]).Median
    $ps.Dispose()
}
finally {
    foreach ($proxy in $proxies) { if (-not $proxy.HasExited) { Stop-Process -Id $proxy.Id -ErrorAction SilentlyContinue; $proxy.WaitForExit(10000) | Out-Null } }
    foreach ($s in $started) { & bash $clusterScript stop $s | Out-Null }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
