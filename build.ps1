#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demos and packages CalicoAlp.
.DESCRIPTION
    Tasks:
      Build    assembles an importable module at out/CalicoAlp (CalicoAlp.dll, manifest, format, help,
               Dependencies/ with CalicoAlp.Core + KubernetesClient + YamlDotNet in their own load context), checks
               that every assembly carries the manifest's ModuleVersion (the one place the version is written), and
               precompiles the assemblies (ReadyToRun) for the .NET runtime the build runs on (-NoReadyToRun: not).
      Test     Build, then xunit and Pester against the built module and a real local control plane
               (tests/cluster/cluster.sh), then one line 'N passed, N failed'. Exit 1 on any failure or no tests.
               -Unit: only the tests that need no cluster (xunit Category!=Cluster, Pester without -Tag Cluster); no
               control plane is started, and CALICOALP_UNIT=1 makes an unmarked test that needs one fail.
               The shared folder ($env:CALICOALP_SHARED, else ../shared): when it is missing, the tests that read it
               (Category=Shared, -Tag Shared) are left out with one warning; under CI=true that is a failure instead.
      Demo     Build, start two local control planes of two generations (Calico 3.12 + Istio 1.4.2, Calico 3.25 +
               Istio 1.15.2), run tools/Show-Demo.ps1 on both (unattended; exit 1 if a cluster is not healthy after the
               repair or not clean afterwards), stop them. -NoBuild: use the module already built (the Demo test).
      Package  Build, then a .nupkg in out/repo that Install-PSResource / Publish-PSResource accept (tools/Test-ModulePackage.ps1).
      Clean    Removes out/ and every bin/ and obj/.
      Bench    Benchmarks, one script each under tools/bench (each also runs on its own; see its help):
               -Suite Namespaces  Add-AlpNamespace against the local control plane (Invoke-NamespaceBench.ps1).
               -Suite Status      Get-AlpStatus with 5, 50 and 500 namespaces labelled: seconds, API and LIST calls
                                  (Measure-StatusScale.ps1 on the Namespaces suite's 500 namespaces / 10,000 pods).
               -Suite Policy      the decision engine, BenchmarkDotNet (Invoke-PolicyBench.ps1; -Filter).
               -Suite Cedar       our engine against Cedar under Node.js (Invoke-CedarBench.ps1).
               -Suite Cmdlet      Test-AlpRequest as a user runs it, fresh processes (Invoke-CmdletBench.ps1; -Runs,
                                  -BaselineRuns).
               -Suite Pipeline    request objects piped into Test-AlpRequest, decisions/s on a small and a 20,000-rule
                                  policy set (Measure-PipelineThroughput.ps1; -Runs).
               -Suite Compare     Compare-AlpPolicy -SummaryOnly against one replay of the same 1M-line log
                                  (Measure-CompareAlpPolicy.ps1; -Runs).
               -Suite Fleet       Enable-CalicoAppLayerPolicy -WhatIf on three local control planes at once against one
                                  (Invoke-FleetBench.ps1; -Runs).
               -Suite Faults      the fault campaign: every mutating cmdlet through the fault proxy, -FaultRuns runs
                                  each, -Seed (Invoke-FaultCampaign.ps1; see docs/reliability.md).
               See docs/performance.md.
      Fuzz     AFL++ with SharpFuzz over the parsers of user input (selector, policy-yaml, spiffe, http-path, access-log,
               injector), -Seconds per target (tools/fuzz/Invoke-Fuzz.ps1; -FuzzTarget for a subset). Installs afl++ with
               apt-get when missing (as root). Not part of Test or CI. See docs/testing-properties-and-fuzzing.md.
    Run it as: dotnet tool restore; dotnet pwsh ./build.ps1 <Task>
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'Fuzz', 'Clean')]
    [string[]] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Test: only the tests that need no cluster (no control plane is started).
    [switch] $Unit,
    # Test: keep the control plane running afterwards (prints its kubeconfig path).
    [switch] $KeepCluster,
    # Demo: do not build first (the module in out/ is used).
    [switch] $NoBuild,
    # Build: leave the assemblies as IL instead of precompiling them for this machine's .NET (a quicker build).
    [switch] $NoReadyToRun,
    # Bench: which benchmark suites to run.
    [ValidateSet('Namespaces', 'Status', 'Policy', 'Cedar', 'Cmdlet', 'Pipeline', 'Compare', 'Fleet', 'Faults')]
    [string[]] $Suite = @('Namespaces'),
    # Bench -Suite Cmdlet: fresh processes per measurement (the start-up figure uses at least 5); -Suite Fleet: timed
    # calls of each kind (at least 11 whatever is given).
    [ValidateRange(1, 20)]
    [int] $Runs = 3,
    # Bench -Suite Cmdlet: runs of the per-line ForEach-Object baseline (50,000 cmdlet calls: minutes per run).
    [ValidateRange(1, 20)]
    [int] $BaselineRuns = 1,
    # Bench -Suite Policy: a BenchmarkDotNet filter (default: every policy benchmark).
    [string] $Filter = '*',
    # Fuzz: how long afl-fuzz runs per target.
    [ValidateRange(5, 86400)]
    [int] $Seconds = 60,
    # Fuzz: which targets (default: all).
    [ValidateSet('selector', 'policy-yaml', 'spiffe', 'http-path', 'access-log', 'injector')]
    [string[]] $FuzzTarget = @('selector', 'policy-yaml', 'spiffe', 'http-path', 'access-log', 'injector'),
    # Bench -Suite Faults: runs per mutating cmdlet.
    [ValidateRange(1, 2000)]
    [int] $FaultRuns = 100,
    # Bench -Suite Faults: seed of the random fault choice.
    [int] $Seed = 1
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'CalicoAlp'
$ModuleManifest = Join-Path $ModuleOut 'CalicoAlp.psd1'
$ClusterScript = Join-Path $Root 'tests/cluster/cluster.sh'
. (Join-Path $Root 'tools/BuildTools.ps1')
. (Join-Path $Root 'tests/SharedFolder.ps1')

function Invoke-Clean {
    foreach ($p in @($Out) + (Get-ChildItem $Root -Recurse -Directory -Include bin, obj -ErrorAction SilentlyContinue | ForEach-Object FullName)) {
        if (Test-Path $p) { Remove-Item $p -Recurse -Force }
    }
}

function Invoke-Build {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-Native dotnet build (Join-Path $Root 'CalicoAlp.sln') -c $Configuration --nologo --verbosity minimal
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    $deps = Join-Path $ModuleOut 'Dependencies'
    New-Item -ItemType Directory -Force -Path $deps, (Join-Path $ModuleOut 'en-US') | Out-Null

    # Core and its dependencies: published into Dependencies/ (loaded into the module's own AssemblyLoadContext).
    Invoke-Native dotnet publish (Join-Path $Root 'src/CalicoAlp.Core/CalicoAlp.Core.csproj') -c $Configuration --no-build --nologo --verbosity quiet -o $deps
    Get-ChildItem $deps -Filter *.pdb | Remove-Item
    Get-ChildItem $deps -Filter *.deps.json | Remove-Item

    $cmdletBin = Join-Path $Root "src/CalicoAlp/bin/$Configuration/net8.0"
    Copy-Item (Join-Path $cmdletBin 'CalicoAlp.dll') $ModuleOut
    Copy-Item (Join-Path $Root 'CalicoAlp.psd1') $ModuleOut
    Copy-Item (Join-Path $Root 'module/CalicoAlp.Format.ps1xml') $ModuleOut
    # Help: about_* topics are plain text kept in module/en-US (copied as they are); cmdlet help is compiled from
    # docs/<Cmdlet>.md (platyPS format) into one MAML file. A page without SYNOPSIS or EXAMPLES fails the build.
    Copy-Item (Join-Path $Root 'module/en-US/*') (Join-Path $ModuleOut 'en-US') -Recurse
    $helpGen = Join-Path $Root 'tools/New-MamlHelp.ps1'
    if (Test-Path $helpGen) {
        & $helpGen -DocsPath (Join-Path $Root 'docs') -OutputPath (Join-Path $ModuleOut 'en-US/CalicoAlp.dll-Help.xml')
    }
    Assert-ModuleVersion
    if (-not $NoReadyToRun) { Invoke-ReadyToRun }
    Write-Host "Built module at $ModuleOut in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s"
}

# ReadyToRun: the module's assemblies (the cmdlets, the core, KubernetesClient, YamlDotNet, Fractions) precompiled with
# the crossgen2 of the .NET runtime this build runs on (PowerShell 7.6: .NET 10), for this OS and architecture. A first
# call in a session then spends far less CPU in the JIT (Add-AlpNamespace -All on 500 namespaces: docs/performance.md).
# Precompiled code is used only by a runtime of the same major version on the same OS/architecture; any other runs the
# IL, which stays in the files, as before. -NoReadyToRun skips it (a quicker build).
function Invoke-ReadyToRun {
    $os = if ($IsLinux) { 'linux' } elseif ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { $null }
    $arch = switch ([Runtime.InteropServices.RuntimeInformation]::OSArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } default { $null } }
    if (-not $os -or -not $arch -or ($IsLinux -and (Test-Path /etc/alpine-release))) {
        Write-Warning "ReadyToRun: no crossgen2 for this platform; the module is left as IL."
        return
    }
    $runtime = [Environment]::Version.ToString(3)
    $rid = "$os-$arch"
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-Native dotnet restore (Join-Path $Root 'tools/ReadyToRun/Crossgen2.csproj') --nologo --verbosity quiet "-p:Crossgen2Rid=$rid" "-p:Crossgen2Version=$runtime"
    $packages = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    $tools = Join-Path $packages "microsoft.netcore.app.crossgen2.$rid/$runtime/tools"
    $crossgen = Join-Path $tools ($IsWindows ? 'crossgen2.exe' : 'crossgen2')
    if (-not (Test-Path $crossgen)) { throw "ReadyToRun: crossgen2 $runtime for $rid not found at $crossgen after the restore." }
    $framework = [Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
    $deps = Join-Path $ModuleOut 'Dependencies'
    $targetOs = @{ linux = 'linux'; win = 'windows'; osx = 'osx' }[$os]
    $work = Join-Path $Out 'r2r'
    New-Item -ItemType Directory -Force -Path $work | Out-Null
    $assemblies = @(Get-ChildItem $deps -Filter *.dll | ForEach-Object FullName) + (Join-Path $ModuleOut 'CalicoAlp.dll')
    foreach ($dll in $assemblies) {
        $compiled = Join-Path $work (Split-Path $dll -Leaf)
        # Quoted, never splatted: PowerShell expands a wildcard in a splatted argument itself, and crossgen2 would
        # then take every matching file as an input.
        $fwRefs = Join-Path $framework '*.dll'
        $depRefs = Join-Path $deps '*.dll'
        $hostRefs = (Split-Path $dll -Leaf) -eq 'CalicoAlp.dll' ? (Join-Path $PSHOME '*.dll') : $fwRefs # System.Management.Automation
        $output = & $crossgen "$dll" -o "$compiled" -r "$fwRefs" -r "$depRefs" -r "$hostRefs" "--targetos:$targetOs" "--targetarch:$arch" -O 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ReadyToRun: crossgen2 failed on $dll`n$($output -join "`n")" }
        Move-Item -Force $compiled $dll
    }
    Remove-Item $work -Recurse -Force
    Write-Host "ReadyToRun: $($assemblies.Count) assemblies precompiled for .NET $runtime $rid in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s"
}

function Assert-ModuleVersion {
    # The version is written once, as ModuleVersion in CalicoAlp.psd1; Directory.Build.props gives it to every assembly.
    $expected = [version] (Import-PowerShellDataFile $ModuleManifest).ModuleVersion
    foreach ($dll in (Join-Path $ModuleOut 'CalicoAlp.dll'), (Join-Path $ModuleOut 'Dependencies/CalicoAlp.Core.dll')) {
        $actual = [Reflection.AssemblyName]::GetAssemblyName($dll).Version
        if ($actual.Major -ne $expected.Major -or $actual.Minor -ne $expected.Minor -or $actual.Build -ne [math]::Max($expected.Build, 0)) {
            throw "$dll has version $actual, the manifest says $($expected): the version lives only in CalicoAlp.psd1 (ModuleVersion); remove any other <Version>."
        }
    }
}

function Invoke-Test {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Invoke-Build
    $results = Join-Path $Out 'test-results'
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $state = $null
    $generationRoot = $null
    $passed = 0; $failed = 0
    $excluded = @(if ($Unit) { 'Cluster' })
    # The shared folder: when it is missing, the tests that read it are left out and this says so once; under CI=true
    # the missing folder also counts as a failure (never a silent skip).
    $sharedProblem = Get-SharedFolderProblem
    if ($sharedProblem) {
        $excluded += 'Shared'
        if ($env:CI -eq 'true') {
            Write-Host "FAILED: $sharedProblem Under CI=true the tests that read upstream files and vectors must run." -ForegroundColor Red
            $failed++
        }
        else { Write-Warning "$sharedProblem The tests that need it (xunit Category=Shared, Pester -Tag Shared) are left out of this run." }
    }
    try {
        if ($Unit) {
            # No control plane: a test that reaches ClusterFixture / Get-TestClusterState here was not marked Cluster.
            $env:CALICOALP_UNIT = '1'
        }
        else {
            Remove-Item Env:CALICOALP_UNIT -ErrorAction SilentlyContinue
            if (-not $env:CALICOALP_TEST_STATE) {
                $state = Start-TestCluster
                $env:CALICOALP_TEST_STATE = $state
            }
            if (-not $env:CALICOALP_GENERATION_STATE_ROOT) {
                # One cluster per generation, shared by xunit and Pester (each reuses a running one), stopped below.
                $generationRoot = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-gen-$PID"
                $env:CALICOALP_GENERATION_STATE_ROOT = $generationRoot
            }
        }
        $env:CALICOALP_MODULE = $ModuleManifest
        $env:CALICOALP_SHARED = Get-SharedFolder

        # xunit: the module's tests (in-process PowerShell, core, cluster) and the fault proxy's own tests
        $filter = @($excluded | ForEach-Object { "Category!=$_" }) -join '&'
        foreach ($project in 'tests/CalicoAlp.Tests/CalicoAlp.Tests.csproj', 'tests/CalicoAlp.FaultProxy.Tests/CalicoAlp.FaultProxy.Tests.csproj') {
            $name = [IO.Path]::GetFileNameWithoutExtension($project)
            $trx = Join-Path $results "$name.trx"
            if (Test-Path $trx) { Remove-Item $trx }
            $filterArgs = if ($filter) { @('--filter', $filter) } else { @() }
            & dotnet test (Join-Path $Root $project) -c $Configuration --no-build --nologo @filterArgs `
                --logger "trx;LogFileName=$trx" --logger 'console;verbosity=normal' --results-directory $results
            if (-not (Test-Path $trx)) { throw "xunit wrote no TRX file ($trx): the test run of $name did not happen." }
            [xml] $x = Get-Content $trx
            $counters = $x.TestRun.ResultSummary.Counters
            if ([int] $counters.total -eq 0) { throw "$name ran no test." }
            $passed += [int] $counters.passed
            $failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
            Write-Host "xunit ${name}: $($counters.passed) passed, $($counters.failed) failed (of $($counters.total))"
        }

        # Pester, in a fresh pwsh, against the built module in out/
        $pesterArgs = @('-PesterManifest', (Get-PesterManifest), '-ResultPath', (Join-Path $results 'pester.xml'))
        if ($excluded) { $pesterArgs += @('-ExcludeTag', ($excluded -join ',')) }
        $pesterOut = & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/Invoke-PesterSuite.ps1') @pesterArgs 2>&1 |
            ForEach-Object { Write-Host $_; $_ }
        $line = $pesterOut | Where-Object { "$_" -match '^PESTER-COUNTS (\d+) (\d+) (\d+)$' } | Select-Object -Last 1
        if (-not $line) { throw 'Pester did not report its counts.' }
        $null = "$line" -match '^PESTER-COUNTS (\d+) (\d+) (\d+)$'
        $passed += [int] $Matches[1]; $failed += [int] $Matches[2]
        Write-Host "pester: $($Matches[1]) passed, $($Matches[2]) failed (of $($Matches[3]))"
    }
    finally {
        if ($Unit) { Remove-Item Env:CALICOALP_UNIT -ErrorAction SilentlyContinue }
        if ($generationRoot) {
            foreach ($dir in @(Get-ChildItem -Directory -Path ([IO.Path]::GetDirectoryName($generationRoot)) -Filter ("$([IO.Path]::GetFileName($generationRoot))-*") -ErrorAction SilentlyContinue)) {
                & bash $ClusterScript stop $dir.FullName | Out-Null
                Remove-Item -Recurse -Force $dir.FullName -ErrorAction SilentlyContinue
            }
            Remove-Item Env:CALICOALP_GENERATION_STATE_ROOT -ErrorAction SilentlyContinue
        }
        if ($state -and -not $KeepCluster) { Stop-TestCluster $state; Remove-Item Env:CALICOALP_TEST_STATE -ErrorAction SilentlyContinue }
        elseif ($state) { Write-Host "Cluster left running: KUBECONFIG=$state/kubeconfig (stop: bash $ClusterScript stop $state)" }
    }
    $kind = if ($Unit) { 'Test -Unit' } else { 'Test' }
    $left = if ($excluded) { " (left out: $($excluded -join ', '))" } else { '' }
    Write-Host "$kind took $([math]::Round($sw.Elapsed.TotalSeconds)) s$left"
    "$passed passed, $failed failed"
    if ($failed -gt 0 -or ($passed + $failed) -eq 0) { exit 1 }
}

function Invoke-Demo {
    if (-not $NoBuild) { Invoke-Build }
    # Two local control planes of two ALP generations, one kubeconfig with a context for each.
    $generations = [ordered]@{ 'istio-1.4' = 'calico3.12-istio1.4.2'; 'istio-1.15' = 'calico3.25-istio1.15.2' }
    $demoRoot = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-demo-$PID"
    $states = [ordered]@{}
    foreach ($name in $generations.Keys) { $states[$name] = "$demoRoot-$name" }
    $kubeconfig = "$demoRoot.kubeconfig"
    Invoke-Native bash $ClusterScript install
    try {
        foreach ($name in $generations.Keys) {
            Invoke-Native bash $ClusterScript start $states[$name]
            Invoke-Native bash $ClusterScript fixture $states[$name] $generations[$name]
        }
        & (Join-Path $Root 'tools/New-FleetKubeconfig.ps1') -Path $kubeconfig -Cluster ([ordered]@{ 'istio-1.4' = (Join-Path $states['istio-1.4'] 'kubeconfig'); 'istio-1.15' = (Join-Path $states['istio-1.15'] 'kubeconfig') })
        Invoke-Native dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/Show-Demo.ps1') -Kubeconfig $kubeconfig -Context ($generations.Keys -join ',') -ModulePath $ModuleManifest
    }
    finally {
        foreach ($state in $states.Values) { & bash $ClusterScript stop $state | Out-Null }
        Remove-Item $kubeconfig -ErrorAction SilentlyContinue
    }
}

function Invoke-Package {
    Invoke-Build
    $repo = Join-Path $Out 'repo'
    New-Item -ItemType Directory -Force -Path $repo | Out-Null
    Get-ChildItem $repo -Filter *.nupkg | Remove-Item
    Invoke-Native dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tools/Test-ModulePackage.ps1') -ModuleFolder $ModuleOut -RepositoryFolder $repo
    Get-ChildItem $repo -Filter *.nupkg | ForEach-Object { Write-Host "Package: $($_.FullName)" }
}

function Invoke-Bench {
    # Each suite is a script under tools/bench that also runs on its own.
    $bench = Join-Path $Root 'tools/bench'
    if ($Suite -contains 'Namespaces' -or $Suite -contains 'Status' -or $Suite -contains 'Cmdlet' -or $Suite -contains 'Pipeline' -or $Suite -contains 'Compare' -or $Suite -contains 'Fleet') { Invoke-Build }
    if ($Suite -contains 'Namespaces') { & (Join-Path $bench 'Invoke-NamespaceBench.ps1') -ModulePath $ModuleManifest }
    if ($Suite -contains 'Status') { & (Join-Path $bench 'Invoke-NamespaceBench.ps1') -ModulePath $ModuleManifest -Measure 'Measure-StatusScale.ps1' }
    if ($Suite -contains 'Policy') { & (Join-Path $bench 'Invoke-PolicyBench.ps1') -Filter $Filter }
    if ($Suite -contains 'Cedar') { & (Join-Path $bench 'Invoke-CedarBench.ps1') }
    if ($Suite -contains 'Cmdlet') { & (Join-Path $bench 'Invoke-CmdletBench.ps1') -ModulePath $ModuleManifest -Runs $Runs -BaselineRuns $BaselineRuns }
    if ($Suite -contains 'Pipeline') { & (Join-Path $bench 'Measure-PipelineThroughput.ps1') -Module $ModuleManifest -Runs $Runs }
    if ($Suite -contains 'Compare') { & (Join-Path $bench 'Measure-CompareAlpPolicy.ps1') -Module $ModuleManifest -Runs $Runs }
    if ($Suite -contains 'Fleet') { & (Join-Path $bench 'Invoke-FleetBench.ps1') -ModulePath $ModuleManifest -Runs ([Math]::Max($Runs, 11)) }
    if ($Suite -contains 'Faults') { & (Join-Path $bench 'Invoke-FaultCampaign.ps1') -Runs $FaultRuns -Seed $Seed -Configuration $Configuration }
}

Push-Location $Root
try {
    foreach ($t in $Task) {
        switch ($t) {
            'Clean' { Invoke-Clean }
            'Build' { Invoke-Build }
            'Test' { Invoke-Test }
            'Demo' { Invoke-Demo }
            'Package' { Invoke-Package }
            'Bench' { Invoke-Bench }
            'Fuzz' { & (Join-Path $Root 'tools/fuzz/Invoke-Fuzz.ps1') -Seconds $Seconds -Target $FuzzTarget -Configuration $Configuration; if ($LASTEXITCODE) { exit $LASTEXITCODE } }
        }
    }
}
finally { Pop-Location }
