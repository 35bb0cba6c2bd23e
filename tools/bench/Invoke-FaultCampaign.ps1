<#
.SYNOPSIS
    Bench -Suite Faults: the fault campaign, every mutating cmdlet hundreds of times through the fault proxy.
.DESCRIPTION
    Runs the xunit test FaultCampaignTests (tests/CalicoAlp.Tests/Reliability/FaultCampaign.cs) with -Runs runs per
    cmdlet (Enable-/Disable-CalicoAppLayerPolicy, Set-/Remove-IstioInjectorPatch live, Add-/Remove-AlpNamespace) and
    -Seed, against the cluster of $env:CALICOALP_TEST_STATE, or else a local control plane it starts
    (tests/cluster/cluster.sh) and stops afterwards. Loopback only: the fault proxy listens on 127.0.0.1 in front of the
    local API server. Prints runs, outcomes per cmdlet, faults injected by kind and invariant violations (must be 0);
    exits non-zero on a violation. See docs/reliability.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Faults
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-FaultCampaign.ps1 -Runs 20 -Seed 7
#>
[CmdletBinding()]
param(
    # Runs per mutating cmdlet (six cmdlets).
    [ValidateRange(1, 2000)]
    [int] $Runs = 100,
    # Ctrl+C sweep: request numbers (spread over each cmdlet's run) at which a run is stopped; 0 = every request.
    [ValidateRange(0, 1000)]
    [int] $CancelPoints = 6,
    # Seed of the random fault choice (the same seed picks the same faults for the same runs).
    [int] $Seed = 1,
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
$root = Get-RepositoryRoot

$state = $null
$env:CALICOALP_TEST_STATE = if ($env:CALICOALP_TEST_STATE) { $env:CALICOALP_TEST_STATE } else { $state = Start-TestCluster; $state }
$report = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-faults-$PID.json"
$env:CALICOALP_FAULT_RUNS = "$Runs"
$env:CALICOALP_FAULT_SEED = "$Seed"
$env:CALICOALP_FAULT_CANCEL_POINTS = "$CancelPoints"
$env:CALICOALP_FAULT_REPORT = $report
try {
    Write-Host "Fault campaign: $Runs runs per cmdlet, Ctrl+C at $CancelPoints request(s) per cmdlet, seed $Seed, cluster $env:CALICOALP_TEST_STATE"
    $sw = [Diagnostics.Stopwatch]::StartNew()
    & dotnet test (Join-Path $root 'tests/CalicoAlp.Tests/CalicoAlp.Tests.csproj') -c $Configuration --nologo `
        --filter 'FullyQualifiedName~FaultCampaignTests.Every_mutating_cmdlet' --logger 'console;verbosity=minimal' | Out-Host
    $testExit = $LASTEXITCODE
    if (-not (Test-Path $report)) { throw "The campaign wrote no report (dotnet test exit code $testExit)." }
    Get-Content (Join-Path ([IO.Path]::GetDirectoryName($report)) ([IO.Path]::GetFileNameWithoutExtension($report) + '.txt')) | Out-Host
    $r = Get-Content $report -Raw | ConvertFrom-Json
    Write-Host "Report: $report"
    Write-Host ("Whole Bench -Suite Faults run: {0:0} s (campaign {1} s)." -f $sw.Elapsed.TotalSeconds, $r.ElapsedSeconds)
    if ($r.ViolationCount -gt 0 -or $testExit -ne 0) { throw "Fault campaign: $($r.ViolationCount) invariant violation(s) (dotnet test exit code $testExit)." }
}
finally {
    Remove-Item Env:CALICOALP_FAULT_RUNS, Env:CALICOALP_FAULT_SEED, Env:CALICOALP_FAULT_CANCEL_POINTS, Env:CALICOALP_FAULT_REPORT -ErrorAction SilentlyContinue
    if ($state) { Remove-Item Env:CALICOALP_TEST_STATE -ErrorAction SilentlyContinue }
    Stop-TestCluster $state
}
