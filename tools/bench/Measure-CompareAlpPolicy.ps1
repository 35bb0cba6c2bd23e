<#
.SYNOPSIS
    Measures Compare-AlpPolicy -SummaryOnly over an access log against one replay of the same log (target: <= 2x).
.DESCRIPTION
    Runs, in fresh 'dotnet pwsh -NoProfile' processes importing the built module, alternately (A/B pairs at equal load):
      replay:  Test-AlpRequest -PolicyPath tools/replay-policy.yaml -AccessLogPath <log> -SummaryOnly @dest
      compare: Compare-AlpPolicy -ReferencePolicyPath tools/replay-policy.yaml
               -DifferencePolicyPath tools/bench/compare-difference-policy.yaml -AccessLogPath <log> -SummaryOnly @dest
    and prints the wall time of each command (Stopwatch inside the process, after Import-Module), median/min/max, the
    ratio compare/replay of each pair and the median ratio. The log defaults to the Cmdlet bench's 1,000,000-line file
    (tools/New-EnvoyAccessLog.ps1 -Count 1000000 -Format Json -Seed 42, generated into out/bench when missing).
.EXAMPLE
    dotnet pwsh ./build.ps1 Build; dotnet pwsh ./tools/bench/Measure-CompareAlpPolicy.ps1 -Runs 3
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 50)][int] $Runs = 3,
    [string] $Module,
    [string] $LogPath
)
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
if (-not $Module) { $Module = Join-Path $root 'out/CalicoAlp/CalicoAlp.psd1' }
if (-not (Test-Path -LiteralPath $Module)) { throw "Built module not found at '$Module' (dotnet pwsh ./build.ps1 Build)." }
if (-not $LogPath) {
    $LogPath = Join-Path $root 'out/bench/access-1000000-seed42.json'
    if (-not (Test-Path -LiteralPath $LogPath)) {
        Write-Host "Generating $LogPath"
        & (Join-Path $root 'tools/New-EnvoyAccessLog.ps1') -Count 1000000 -Path $LogPath -Format Json -Seed 42 | Out-Null
    }
}
$reference = Join-Path $root 'tools/replay-policy.yaml'
$difference = Join-Path $root 'tools/bench/compare-difference-policy.yaml'
$prelude = "`$ErrorActionPreference = 'Stop'; Import-Module '$Module'; `$dest = @{ DestinationNamespace = 'web'; DestinationServiceAccount = 'api'; DestinationLabels = @{ app = 'api' } }"
$commands = [ordered]@{
    replay  = "Test-AlpRequest -PolicyPath '$reference' -AccessLogPath '$LogPath' -SummaryOnly @dest"
    compare = "Compare-AlpPolicy -ReferencePolicyPath '$reference' -DifferencePolicyPath '$difference' -AccessLogPath '$LogPath' -SummaryOnly @dest"
}

function Get-Load { if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } else { 'n/a' } }

function Invoke-Measured([string] $Command) {
    $script = "$prelude`n`$sw = [Diagnostics.Stopwatch]::StartNew()`n`$s = $Command`n`$sw.Stop()`n" +
        "`"BENCH `$(`$sw.Elapsed.TotalSeconds) `$(`$s.Lines) `$(if (`$s.PSObject.Properties['NewlyDenied']) { `"`$(`$s.NewlyDenied) newly denied, `$(`$s.NewlyAllowed) newly allowed, `$(`$s.OtherRule) other rule, `$(`$s.Unchanged) unchanged`" } else { `"`$(`$s.Allowed) allowed, `$(`$s.Denied) denied`" })`""
    Push-Location $root
    try { $out = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 } finally { Pop-Location }
    if ($LASTEXITCODE -ne 0) { $out | Write-Host; throw "bench process failed ($LASTEXITCODE)" }
    $line = $out | Where-Object { "$_" -match '^BENCH ' } | Select-Object -Last 1
    if ("$line" -notmatch '^BENCH (\S+) (\d+) (.*)$') { $out | Write-Host; throw 'no BENCH line' }
    [pscustomobject]@{ Seconds = [double]::Parse($Matches[1], [cultureinfo]::InvariantCulture); Lines = [long]$Matches[2]; Outcome = $Matches[3] }
}

function Get-Stats([double[]] $Values) {
    $s = @($Values | Sort-Object); $n = $s.Count
    $median = if ($n % 2) { $s[($n - 1) / 2] } else { ($s[$n / 2 - 1] + $s[$n / 2]) / 2 }
    [pscustomobject]@{ Median = $median; Min = $s[0]; Max = $s[-1] }
}

Write-Host "Log: $LogPath ($([math]::Round((Get-Item $LogPath).Length / 1MB)) MB); module: $Module; load at start: $(Get-Load)"
$results = @{ replay = [Collections.Generic.List[object]]::new(); compare = [Collections.Generic.List[object]]::new() }
$ratios = [Collections.Generic.List[double]]::new()
for ($i = 1; $i -le $Runs; $i++) {
    $pair = @{}
    foreach ($name in $commands.Keys) {
        $m = Invoke-Measured $commands[$name]
        $results[$name].Add($m)
        $pair[$name] = $m.Seconds
        Write-Host ("run {0} {1,-7} {2,7:N2} s  {3:N0} lines: {4}" -f $i, $name, $m.Seconds, $m.Lines, $m.Outcome)
    }
    $ratios.Add($pair.compare / $pair.replay)
}
$r = Get-Stats ($results.replay | ForEach-Object Seconds)
$c = Get-Stats ($results.compare | ForEach-Object Seconds)
$q = Get-Stats $ratios
Write-Host ("replay  -SummaryOnly: median {0:N2} s (min {1:N2}, max {2:N2})" -f $r.Median, $r.Min, $r.Max)
Write-Host ("compare -SummaryOnly: median {0:N2} s (min {1:N2}, max {2:N2})" -f $c.Median, $c.Min, $c.Max)
Write-Host ("compare / replay, per A/B pair: median {0:N2}x (min {1:N2}, max {2:N2}); target <= 2x: {3}" -f $q.Median, $q.Min, $q.Max, $(if ($q.Median -le 2) { 'met' } else { 'NOT met' }))
Write-Host "load at end: $(Get-Load)"
[pscustomobject]@{ ReplayMedian = $r.Median; CompareMedian = $c.Median; RatioMedian = $q.Median; RatioMin = $q.Min; RatioMax = $q.Max; Runs = $Runs }
