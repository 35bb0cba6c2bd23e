<#
.SYNOPSIS
    Bench -Suite Cmdlet: Test-AlpRequest as a user runs it, each measurement in a fresh 'dotnet pwsh'.
.DESCRIPTION
    -AccessLogPath over 1M generated Envoy JSON lines, -AccessLogPath vs a per-line ForEach-Object on 50k lines,
    100k piped request objects, and the start-up cost of Import-Module. Inputs go to out/bench (seeded); the policy
    set is tools/replay-policy.yaml (the access-log replay tests' one). Ends with a table of figures against their
    targets. See docs/performance.md "Cmdlet-level figures".
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Cmdlet -Runs 5
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-CmdletBench.ps1 -Runs 3      # after 'dotnet pwsh ./build.ps1 Build'
#>
[CmdletBinding()]
param(
    # Fresh processes per measurement (the start-up figure uses at least 5).
    [ValidateRange(1, 20)]
    [int] $Runs = 3,
    # Runs of the per-line ForEach-Object baseline (50,000 cmdlet calls: minutes per run).
    [ValidateRange(1, 20)]
    [int] $BaselineRuns = 1,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/CalicoAlp/CalicoAlp.psd1')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
. (Join-Path $PSScriptRoot 'BenchStats.ps1')
$Root = Get-RepositoryRoot
$Out = Join-Path $Root 'out'
Assert-BuiltModule $ModulePath

$bench = Join-Path $Out 'bench'
$policyDir = Join-Path $bench 'policy'
New-Item -ItemType Directory -Force -Path $policyDir | Out-Null
$policy = Join-Path $policyDir 'replay-policy.yaml'
Copy-Item -LiteralPath (Join-Path $Root 'tools/replay-policy.yaml') -Destination $policy -Force
$module = (Resolve-Path -LiteralPath $ModulePath).Path
$gen = Join-Path $Root 'tools/New-EnvoyAccessLog.ps1'
$seed = 42
# The 50k file is the first 50,000 lines of the 1M file (same generator, same seed).
$logs = @{}
foreach ($count in 1000000, 50000) {
    $file = Join-Path $bench "access-$count-seed$seed.json"
    if (-not (Test-Path $file)) {
        Write-Host "Generating $file"
        & $gen -Count $count -Path $file -Format Json -Seed $seed | Out-Null
    }
    $logs[$count] = $file
}
$loadStart = Get-LoadAverage
$dotnetPwsh = @('dotnet', 'pwsh')
$dest = "@{ DestinationNamespace = 'web'; DestinationServiceAccount = 'api'; DestinationLabels = @{ app = 'api' } }"
$prelude = "`$ErrorActionPreference = 'Stop'; Import-Module '$module'; `$dest = $dest"
$rows = [Collections.Generic.List[object]]::new()
function Add-Row($Figure, $Target, $Stats, $Unit, $Met, $Note) {
    $rows.Add([pscustomobject]@{ Figure = $Figure; Target = $Target; Median = $Stats.Median; Min = $Stats.Min; Max = $Stats.Max; Runs = $Stats.Runs; Unit = $Unit; Met = $Met; Note = $Note })
}
function Measure-Replay([string] $Log, [string] $Extra, [int] $Count) {
    $script = "$prelude`n`$me = [Diagnostics.Process]::GetCurrentProcess(); `$cpu = `$me.TotalProcessorTime`n`$sw = [Diagnostics.Stopwatch]::StartNew()`n`$r = Test-AlpRequest -PolicyPath '$policy' -AccessLogPath '$Log' @dest $Extra`n`$sw.Stop(); `$me.Refresh()`n" +
        "`$s = @(`$r)[0]; `"BENCH seconds=`$(`$sw.Elapsed.TotalSeconds) cpu=`$((`$me.TotalProcessorTime - `$cpu).TotalSeconds) objects=`$(@(`$r).Count) lines=`$(`$s.Lines) allowed=`$(`$s.Allowed) denied=`$(`$s.Denied) errors=`$(`$s.Errors)`""
    foreach ($i in 1..$Count) { Invoke-BenchProcess $dotnetPwsh $script }
}

# 1. -AccessLogPath over 1M lines: default output (summary + denied requests, assigned to a variable) and -SummaryOnly.
Write-Host "1. Test-AlpRequest -AccessLogPath, 1,000,000 lines ($Runs runs each)"
foreach ($mode in @(@{ Name = 'default output'; Extra = '' }, @{ Name = '-SummaryOnly'; Extra = '-SummaryOnly' })) {
    $res = @(Measure-Replay $logs[1000000] $mode.Extra $Runs)
    $first = $res[0]
    $stats = Get-BenchStats ($res | ForEach-Object { [double] $_.seconds })
    $wall = Get-BenchStats ($res | ForEach-Object { $_.Wall })
    $cpu = Get-BenchStats ($res | ForEach-Object { [double] $_.cpu })
    Add-Row "1M lines, $($mode.Name): command" '<= 10 s' $stats 's' ($stats.Median -le 10) "$($first.lines) lines: $($first.allowed) allowed, $($first.denied) denied, $($first.objects) objects out"
    Add-Row "1M lines, $($mode.Name): CPU time of the command" '-' $cpu 's' '-' 'all threads of the process (GC included)'
    Add-Row "1M lines, $($mode.Name): whole process" '-' $wall 's' '-' 'dotnet pwsh start + Import-Module + command'
}

# 2. -AccessLogPath vs Get-Content | ConvertFrom-Json | ForEach-Object { Test-AlpRequest ... } on the first 50,000 lines.
Write-Host "2. 50,000 lines: -AccessLogPath ($Runs runs) vs per-line ForEach-Object ($BaselineRuns run(s), minutes each)"
$replay = @(Measure-Replay $logs[50000] '' $Runs)
$baselineScript = "$prelude`n`$sw = [Diagnostics.Stopwatch]::StartNew()`n" +
    "`$r = Get-Content '$($logs[50000])' | ConvertFrom-Json | ForEach-Object { Test-AlpRequest -PolicyPath '$policy' -SourcePrincipal `$_.downstream_peer_uri_san -SourceIP (`$_.downstream_remote_address -replace ':\d+$') -Method `$_.method -Path `$_.path -DestinationPort ([int] (`$_.downstream_local_address -replace '^.*:')) @dest }`n" +
    "`$sw.Stop()`n`$denied = @(`$r | Where-Object { `"`$(`$_.Decision)`" -eq 'Deny' }).Count`n" +
    "`"BENCH seconds=`$(`$sw.Elapsed.TotalSeconds) objects=`$(@(`$r).Count) allowed=`$(@(`$r).Count - `$denied) denied=`$denied`""
$baseline = @(foreach ($i in 1..$BaselineRuns) { Invoke-BenchProcess $dotnetPwsh $baselineScript })
$rs = Get-BenchStats ($replay | ForEach-Object { [double] $_.seconds })
$bs = Get-BenchStats ($baseline | ForEach-Object { [double] $_.seconds })
$agree = $replay[0].allowed -eq $baseline[0].allowed -and $replay[0].denied -eq $baseline[0].denied
Add-Row '50k lines, -AccessLogPath (default output)' '-' $rs 's' '-' "$($replay[0].allowed) allowed, $($replay[0].denied) denied"
Add-Row '50k lines, per-line ForEach-Object baseline' '-' $bs 's' '-' "$($baseline[0].allowed) allowed, $($baseline[0].denied) denied; counts agree: $agree"
$ratio = [pscustomobject]@{ Median = $bs.Median / $rs.Median; Min = $bs.Min / $rs.Max; Max = $bs.Max / $rs.Min; Runs = "$($bs.Runs)/$($rs.Runs)" }
Add-Row '50k lines, baseline / -AccessLogPath' '>= 20x' $ratio 'x' ($ratio.Median -ge 20 -and $agree) 'median / median (min = slowest replay, max = fastest)'

# 3. 100,000 pre-built PSCustomObjects piped in (bound by property name); building them is not timed.
Write-Host "3. 100,000 piped request objects ($Runs runs)"
$pipeScript = "$prelude`n`$rng = [Random]::new($seed)`n" +
    "`$principals = 'spiffe://cluster.local/ns/web/sa/frontend', 'spiffe://cluster.local/ns/web/sa/batch', 'spiffe://cluster.local/ns/other/sa/default', ''`n" +
    "`$methods = 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'; `$paths = '/v1/items', '/v1/items/42', '/v2/orders', '/admin/config', '/healthz', '/v1/items?page=2'`n" +
    "`$requests = [object[]]::new(100000)`n" +
    "for (`$i = 0; `$i -lt 100000; `$i++) { `$requests[`$i] = [pscustomobject]@{ SourcePrincipal = `$principals[`$rng.Next(4)]; SourceIP = `"10.1.`$(`$rng.Next(4)).`$(`$rng.Next(1, 50))`"; SourcePort = `$rng.Next(32768, 61000); DestinationPort = 8080; Method = `$methods[`$rng.Next(6)]; Path = `$paths[`$rng.Next(6)] } }`n" +
    "`$sw = [Diagnostics.Stopwatch]::StartNew()`n`$null = `$requests | Test-AlpRequest -PolicyPath '$policy' @dest`n`$sw.Stop()`n" +
    "`$kube = [AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'KubernetesClient'`n" +
    "# Reference, afterwards in the same process: an empty advanced function with Test-AlpRequest's parameters (PowerShell's binding alone).`n" +
    "`$meta = [Management.Automation.CommandMetadata]::new((Get-Command Test-AlpRequest))`n" +
    "`$null = New-Item function:Test-BindingOnly -Value ([scriptblock]::Create([Management.Automation.ProxyCommand]::GetCmdletBindingAttribute(`$meta) + 'param(' + [Management.Automation.ProxyCommand]::GetParamBlock(`$meta) + ') process { }'))`n" +
    "`$sw2 = [Diagnostics.Stopwatch]::StartNew()`n`$null = `$requests | Test-BindingOnly -PolicyPath '$policy' @dest`n`$sw2.Stop()`n" +
    "`"BENCH seconds=`$(`$sw.Elapsed.TotalSeconds) kube=`$kube binding=`$(`$sw2.Elapsed.TotalSeconds)`""
$pipe = @(foreach ($i in 1..$Runs) { Invoke-BenchProcess $dotnetPwsh $pipeScript })
$ps = Get-BenchStats ($pipe | ForEach-Object { 100000 / [double] $_.seconds })
$kubeLoaded = @($pipe | Where-Object { $_.kube -ne 'False' }).Count -gt 0
Add-Row '100k piped objects, $null = $requests | Test-AlpRequest' '>= 30,000/s' $ps 'decisions/s' ($ps.Median -ge 30000) "KubernetesClient loaded: $kubeLoaded"
$bind = Get-BenchStats ($pipe | ForEach-Object { 100000 / [double] $_.binding })
Add-Row '100k piped objects, empty function with the same parameters' '-' $bind 'records/s' '-' "PowerShell's parameter binding alone (ProxyCommand param block, process { }), same process, afterwards"

# 4. Start-up: bare pwsh vs pwsh + Import-Module, through 'dotnet pwsh' and through the pwsh apphost of the tool package.
$startupRuns = [math]::Max($Runs, 5)
$version = (Get-Content (Join-Path $Root 'dotnet-tools.json') -Raw | ConvertFrom-Json).tools.powershell.version
$appHost = Join-Path (Get-NuGetPackagesRoot) "powershell/$version/tools/net10.0/any/unix/pwsh"
$launchers = [ordered]@{ 'dotnet pwsh' = $dotnetPwsh }
if (Test-Path $appHost) { $launchers['pwsh apphost'] = @($appHost) }
# Reference: an empty script module (one function). Whatever it costs is PowerShell's own first Import-Module.
$emptyModule = Join-Path $bench 'EmptyModule/EmptyModule.psd1'
New-Item -ItemType Directory -Force -Path (Split-Path $emptyModule) | Out-Null
Set-Content -LiteralPath (Join-Path $bench 'EmptyModule/EmptyModule.psm1') -Value 'function Get-Nothing { }'
Set-Content -LiteralPath $emptyModule -Value "@{ RootModule = 'EmptyModule.psm1'; ModuleVersion = '1.0'; FunctionsToExport = @('Get-Nothing') }"
$imports = [ordered]@{ 'CalicoAlp' = $module; 'empty module' = $emptyModule }
Write-Host "4. Start-up ($startupRuns runs of each, interleaved)"
$times = @{}
foreach ($i in 1..$startupRuns) {
    foreach ($name in $launchers.Keys) {
        $times["$name bare"] += @((Invoke-BenchProcess $launchers[$name] 'exit').Wall)
        foreach ($m in $imports.Keys) {
            $times["$name $m"] += @((Invoke-BenchProcess $launchers[$name] "Import-Module '$($imports[$m])'; exit").Wall)
        }
    }
    foreach ($m in $imports.Keys) {
        $times["in-process $m"] += @([double] (Invoke-BenchProcess $dotnetPwsh "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$($imports[$m])'; `"BENCH seconds=`$(`$sw.Elapsed.TotalSeconds)`"").seconds * 1000)
    }
}
foreach ($name in $launchers.Keys) {
    $bare = Get-BenchStats $times["$name bare"]
    Add-Row "$name -NoProfile -c 'exit'" '-' $bare 's' '-' ''
    foreach ($m in $imports.Keys) {
        $import = Get-BenchStats $times["$name $m"]
        Add-Row "$name -NoProfile -c 'Import-Module <$m>; exit'" '-' $import 's' '-' ''
        # Paired: each import run minus the bare run of the same iteration (the box's load drifts between iterations).
        $paired = Get-BenchStats (0..($startupRuns - 1) | ForEach-Object { ($times["$name $m"][$_] - $times["$name bare"][$_]) * 1000 })
        $target = if ($m -eq 'CalicoAlp') { '<= 150 ms' } else { '-' }
        $met = if ($m -eq 'CalicoAlp') { $paired.Median -le 150 } else { '-' }
        Add-Row "$name, Import-Module <$m> adds (paired runs)" $target $paired 'ms' $met "difference of the medians: $([math]::Round(($import.Median - $bare.Median) * 1000)) ms"
    }
}
foreach ($m in $imports.Keys) {
    Add-Row "Import-Module <$m> inside pwsh (Stopwatch)" '-' (Get-BenchStats $times["in-process $m"]) 'ms' '-' 'dotnet pwsh, a fresh process each run'
}
$own = Get-BenchStats (0..($startupRuns - 1) | ForEach-Object { $times['in-process CalicoAlp'][$_] - $times['in-process empty module'][$_] })
Add-Row 'Import-Module: CalicoAlp minus empty module (in pwsh, paired)' '-' $own 'ms' '-' "CalicoAlp's own share of the import"

Write-Host "`nCmdlet-level figures (policy: the replay tests' policy set, $policy; logs: $bench, seed $seed)"
Write-Host "Load average (1/5/15 min) at the start: $loadStart; at the end: $(Get-LoadAverage); $([Environment]::ProcessorCount) cores"
$rows | Format-Table Figure, Target, @{ n = 'Median'; e = { '{0:N2}' -f $_.Median } }, @{ n = 'Min'; e = { '{0:N2}' -f $_.Min } },
    @{ n = 'Max'; e = { '{0:N2}' -f $_.Max } }, Unit, Runs, Met, Note -AutoSize | Out-String -Width 250 | Write-Host
