<#
.SYNOPSIS
    Bench -Suite Cedar: our engine against Cedar (cedar-wasm under Node.js) on the HTTP part of the policy fixture.
.DESCRIPTION
    Both sides are measured in this run and every decision is checked: the benchmark project exports the HTTP part of
    the fixture, its Cedar translation, the request stream and the expected decisions (the translation checked against
    the engine on every request) and measures the engine's decisions/s on one thread; tools/cedar-bench/bench.js
    (cedar-wasm 4.13.0, package-lock.json) measures Cedar and fails on any decision that differs. Ends with the ratio
    line. Needs node and npm ('npm ci' on first use); not part of Test. See docs/performance.md "Cedar comparison".
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Cedar
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-CedarBench.ps1
#>
[CmdletBinding()]
param()

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
$Root = Get-RepositoryRoot

foreach ($tool in 'node', 'npm') {
    if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "Bench -Suite Cedar needs '$tool' on PATH (Node.js)." }
}
$project = Join-Path $Root 'tests/CalicoAlp.Benchmarks/CalicoAlp.Benchmarks.csproj'
Invoke-Native dotnet build $project -c Release --nologo --verbosity quiet
$dll = Join-Path $Root 'tests/CalicoAlp.Benchmarks/bin/Release/net10.0/CalicoAlp.Benchmarks.dll'
$export = Join-Path $Root 'out/bench/cedar'
if (Test-Path $export) { Remove-Item $export -Recurse -Force }
# Our side: HTTP part of the fixture, Cedar translation, request stream and expected decisions exported; the
# translation checked against the engine on every request; the engine's decisions/s (one thread) measured.
Invoke-Native dotnet $dll --cedar-export $export
# Cedar side: cedar-wasm 4.13.0 (tools/cedar-bench/package-lock.json); fails on any decision that differs.
$cedarDir = Join-Path $Root 'tools/cedar-bench'
if (-not (Test-Path (Join-Path $cedarDir 'node_modules/@cedar-policy/cedar-wasm'))) {
    Push-Location $cedarDir
    try { Invoke-Native npm ci --no-audit --no-fund }
    finally { Pop-Location }
}
Invoke-Native node (Join-Path $cedarDir 'bench.js') $export
$ours = Get-Content (Join-Path $export 'calicoalp-result.json') -Raw | ConvertFrom-Json
$cedar = Get-Content (Join-Path $export 'cedar-result.json') -Raw | ConvertFrom-Json
$inv = [Globalization.CultureInfo]::InvariantCulture
$fmt = { param($s) [string]::Format($inv, 'median {0:N1} (min {1:N1}, max {2:N1})', $s.median, $s.min, $s.max) }
Write-Host "Decisions/s, $($cedar.requests) requests, $($cedar.policies) rules/policies, one thread each:"
Write-Host "  CalicoAlp prepared Evaluate:        $(& $fmt $ours.prepared)"
Write-Host "  CalicoAlp Prepare+Evaluate:         $(& $fmt $ours.prepareEvaluate)"
Write-Host "  Cedar $($cedar.cedarVersion) statefulIsAuthorized:  $(& $fmt $cedar)"
$r1 = $ours.prepared.median / $cedar.median
$r2 = $ours.prepareEvaluate.median / $cedar.median
$met = if ([Math]::Min($r1, $r2) -ge 10) { 'met' } else { 'NOT met' }
Write-Host ([string]::Format($inv, 'Cedar comparison (medians): CalicoAlp {0:N0} decisions/s prepared = {1:N0}x Cedar, {2:N0} decisions/s Prepare+Evaluate = {3:N0}x Cedar ({4:N1} decisions/s); target >= 10x: {5}',
        $ours.prepared.median, $r1, $ours.prepareEvaluate.median, $r2, $cedar.median, $met))
