<#
.SYNOPSIS
    Runs the Pester files of tests/pester (Pester 5.7.1 from the NuGet cache) and ends with one line
    'PESTER-COUNTS <passed> <failed> <total>' that build.ps1 Test reads.
.DESCRIPTION
    Run in a fresh pwsh by build.ps1 Test, against the built module ($env:CALICOALP_MODULE) and the cluster of
    $env:CALICOALP_TEST_STATE. A file that fails during discovery or in a BeforeAll/AfterAll counts as failed too (its
    tests may never have run).
.EXAMPLE
    dotnet pwsh ./tools/Invoke-PesterSuite.ps1 -Path tests/pester/Help.Tests.ps1
.EXAMPLE
    CALICOALP_TEST_STATE=/tmp/me-k8s dotnet pwsh ./tools/Invoke-PesterSuite.ps1 -Path tests/pester/Composition.Tests.ps1
#>
[CmdletBinding()]
param(
    # Pester 5.7.1's manifest (default: the NuGet cache's copy, which the test project's restore downloads).
    [string] $PesterManifest,
    # Files or folders to run.
    [string[]] $Path = @(Join-Path $PSScriptRoot '../tests/pester'),
    # Tags to leave out (build.ps1 Test -Unit: Cluster).
    [string[]] $ExcludeTag = @(),
    # JUnit XML results (none when empty).
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BuildTools.ps1')
if (-not $PesterManifest) { $PesterManifest = Get-PesterManifest }
# From 'pwsh -File' a list arrives as one comma-separated string.
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$ExcludeTag = @($ExcludeTag | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
Import-Module $PesterManifest
$c = New-PesterConfiguration
$c.Run.Path = $Path
$c.Run.PassThru = $true
$c.Filter.ExcludeTag = $ExcludeTag
$c.Output.RenderMode = 'Plaintext'
$c.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $c.TestResult.Enabled = $true
    $c.TestResult.OutputFormat = 'JUnitXml'
    $c.TestResult.OutputPath = $ResultPath
}
$r = Invoke-Pester -Configuration $c
"PESTER-COUNTS $($r.PassedCount) $($r.FailedCount + $r.FailedContainersCount + $r.FailedBlocksCount) $($r.TotalCount)"
