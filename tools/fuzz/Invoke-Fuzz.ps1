#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Fuzzes the parsers of user input with AFL++ and SharpFuzz, a bounded time per target (build.ps1 Fuzz).
.DESCRIPTION
    Builds tests/CalicoAlp.Fuzz, instruments CalicoAlp.Core.dll with SharpFuzz (the sharpfuzz tool, installed into
    out/fuzz/tools from NuGet), writes each target's seed corpus (tests/CalicoAlp.Fuzz/seeds; the injector's from the
    shared folder's stock configs of every layout) and runs afl-fuzz on it for -Seconds. Afterwards each crash and hang
    AFL saved is run again through the uninstrumented harness to show its exception. A table of executions, corpus,
    crashes and hangs per target is printed and written to out/fuzz/summary.md.

    Needs afl-fuzz (Debian's afl++): when it is missing and this runs as root with apt-get, it is installed; otherwise
    the task stops and says how. Not part of build.ps1 Test or CI (.ci/run).

    A finding: copy the input into tests/CalicoAlp.Fuzz/findings/<target>/ (FindingRegressionTests then runs it in every
    test run), fix the core, add a test stating the fixed behaviour. Exit code 1 when any target had a crash or a hang.
.PARAMETER Seconds
    How long afl-fuzz runs per target (afl-fuzz -V).
.PARAMETER Target
    Which targets (default: all).
.PARAMETER Shared
    The shared folder (upstream stock injector configs for the injector seeds); default $env:CALICOALP_SHARED, else ../shared.
#>
[CmdletBinding()]
param(
    [ValidateRange(5, 86400)]
    [int] $Seconds = 60,
    [ValidateSet('selector', 'policy-yaml', 'spiffe', 'http-path', 'access-log', 'injector')]
    [string[]] $Target = @('selector', 'policy-yaml', 'spiffe', 'http-path', 'access-log', 'injector'),
    [string] $Shared,
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
$root = Get-RepositoryRoot
. (Join-Path $root 'tests/SharedFolder.ps1')
if (-not $Shared) { $Shared = Get-SharedFolder }
$fuzzOut = Join-Path $root 'out/fuzz'
New-Item -ItemType Directory -Force -Path $fuzzOut | Out-Null

# afl-fuzz: Debian's afl++ package.
if (-not (Get-Command afl-fuzz -ErrorAction SilentlyContinue)) {
    $isRoot = (& id -u) -eq '0'
    if ($isRoot -and (Get-Command apt-get -ErrorAction SilentlyContinue)) {
        Write-Host 'Installing afl++ (apt-get) for afl-fuzz...'
        $env:DEBIAN_FRONTEND = 'noninteractive'
        Invoke-Native apt-get update -qq
        Invoke-Native apt-get install -y -qq --no-install-recommends afl++
    }
    else { throw 'afl-fuzz not found: install AFL++ (Debian: sudo apt-get install afl++), then run build.ps1 Fuzz again.' }
}

# The harness, plain (for --seeds and --replay) and instrumented (for afl-fuzz: only CalicoAlp.Core.dll is rewritten).
Invoke-Native dotnet build (Join-Path $root 'tests/CalicoAlp.Fuzz/CalicoAlp.Fuzz.csproj') -c $Configuration --nologo --verbosity quiet
$plain = Join-Path $root "tests/CalicoAlp.Fuzz/bin/$Configuration/net10.0"
$tools = Join-Path $fuzzOut 'tools'
$sharpfuzz = Join-Path $tools 'sharpfuzz'
if (-not (Test-Path $sharpfuzz)) {
    Invoke-Native dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path $tools
}
$instrumented = Join-Path $fuzzOut 'bin'
if (Test-Path $instrumented) { Remove-Item -Recurse -Force $instrumented }
Copy-Item -Recurse $plain $instrumented
# Called directly: Invoke-Native splats a single argument wrongly for this tool ("Specified file does not exist").
& $sharpfuzz (Join-Path $instrumented 'CalicoAlp.Core.dll')
if ($LASTEXITCODE -ne 0) { throw "sharpfuzz could not instrument $instrumented/CalicoAlp.Core.dll (exit code $LASTEXITCODE)." }

# afl-fuzz runs a .NET program (not an AFL-compiled binary), on a shared machine, without its curses screen.
$env:AFL_SKIP_BIN_CHECK = '1'
$env:AFL_NO_UI = '1'
$env:AFL_SKIP_CPUFREQ = '1'
$env:AFL_NO_AFFINITY = '1'
$env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
$env:AFL_SHUFFLE_QUEUE = '0'

function Read-FuzzerStats([string] $Path) {
    $stats = @{}
    if (Test-Path $Path) {
        foreach ($line in Get-Content $Path) {
            if ($line -match '^(\w+)\s*:\s*(.*)$') { $stats[$Matches[1]] = $Matches[2].Trim() }
        }
    }
    $stats
}

$rows = @()
foreach ($t in $Target) {
    $dir = Join-Path $fuzzOut $t
    if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }
    $seeds = Join-Path $dir 'seeds'
    Invoke-Native dotnet (Join-Path $plain 'CalicoAlp.Fuzz.dll') $t --seeds $seeds $Shared
    # The seeds themselves must pass, or AFL starts from a crash.
    Invoke-Native dotnet (Join-Path $plain 'CalicoAlp.Fuzz.dll') $t --replay $seeds
    $afl = Join-Path $dir 'afl'
    Write-Host "afl-fuzz $t for $Seconds s..."
    $log = Join-Path $dir 'afl-fuzz.log'
    & afl-fuzz -i $seeds -o $afl -t 5000 -m none -V $Seconds -- dotnet (Join-Path $instrumented 'CalicoAlp.Fuzz.dll') $t *> $log
    if ($LASTEXITCODE -ne 0) {
        Get-Content $log -Tail 30 | Write-Host
        throw "afl-fuzz on $t failed with exit code $LASTEXITCODE (log: $log)."
    }
    $stats = Read-FuzzerStats (Join-Path $afl 'default/fuzzer_stats')
    $crashes = @(Get-ChildItem (Join-Path $afl 'default/crashes') -File -ErrorAction SilentlyContinue | Where-Object Name -ne 'README.txt')
    $hangs = @(Get-ChildItem (Join-Path $afl 'default/hangs') -File -ErrorAction SilentlyContinue)
    foreach ($c in $crashes + $hangs) {
        Write-Host "finding ${t}: $($c.FullName)" -ForegroundColor Red
        & dotnet (Join-Path $plain 'CalicoAlp.Fuzz.dll') $t --replay $c.FullName | Write-Host
    }
    $rows += [pscustomobject]@{
        Target    = $t
        Seconds   = [int] $stats['run_time']
        Execs     = [long] $stats['execs_done']
        PerSecond = [double] $stats['execs_per_sec']
        Corpus    = [int] $stats['corpus_count']
        Edges     = $stats['bitmap_cvg']
        Crashes   = $crashes.Count
        Hangs     = $hangs.Count
    }
}

$rows | Format-Table -AutoSize | Out-Host
$md = @("| target | seconds | executions | exec/s | corpus | map coverage | crashes | hangs |", '|---|---:|---:|---:|---:|---:|---:|---:|')
$md += $rows | ForEach-Object { "| $($_.Target) | $($_.Seconds) | $($_.Execs) | $([math]::Round($_.PerSecond)) | $($_.Corpus) | $($_.Edges) | $($_.Crashes) | $($_.Hangs) |" }
$md | Set-Content (Join-Path $fuzzOut 'summary.md')
$found = ($rows | Measure-Object -Property Crashes -Sum).Sum + ($rows | Measure-Object -Property Hangs -Sum).Sum
Write-Host "Fuzz: $($rows.Count) targets, $(($rows | Measure-Object -Property Execs -Sum).Sum) executions, $found findings (out/fuzz/summary.md)"
if ($found -gt 0) { exit 1 }
