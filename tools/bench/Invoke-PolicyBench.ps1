<#
.SYNOPSIS
    Bench -Suite Policy: the decision engine on a Calico-shaped scale fixture (BenchmarkDotNet, tests/CalicoAlp.Benchmarks).
.DESCRIPTION
    Builds the benchmark project (always Release: BenchmarkDotNet refuses or misreports non-optimised builds), prints
    the fixture statistics, compile time and retained memory of the compiled engine, then runs a short in-process job
    (3 warm-ups, 5 iterations of 250 ms) and BenchmarkDotNet's summary tables. A few minutes; about 8 with the 1M
    stream. Reports go to out/bench/policy. See docs/performance.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Policy -Filter '*FullWalk*'
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-PolicyBench.ps1
#>
[CmdletBinding()]
param(
    # A BenchmarkDotNet filter (default: every policy benchmark).
    [string] $Filter = '*'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
$Root = Get-RepositoryRoot

$project = Join-Path $Root 'tests/CalicoAlp.Benchmarks/CalicoAlp.Benchmarks.csproj'
Invoke-Native dotnet build $project -c Release --nologo --verbosity quiet
$dll = Join-Path $Root 'tests/CalicoAlp.Benchmarks/bin/Release/net10.0/CalicoAlp.Benchmarks.dll'
$artifacts = Join-Path $Root 'out/bench/policy'
# Fixture statistics, compile time and retained memory of the compiled engine (Stopwatch / GC, not BenchmarkDotNet).
Invoke-Native dotnet $dll --fixture
# Short in-process job (3 warm-ups, 5 iterations of 250 ms); BenchmarkDotNet prints the summary tables at the end.
# The filter goes through an array: PowerShell expands a bare '*' argument of a native command as a file glob.
$benchArgs = @('--quick', '--artifacts', $artifacts)
if ($Filter -ne '*') { $benchArgs += @('--filter', $Filter) }
Invoke-Native dotnet $dll @benchArgs
Write-Host "BenchmarkDotNet reports: $(Join-Path $artifacts 'results')"
