#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests, demos and packages CalicoAlp.
.DESCRIPTION
    Tasks:
      Build    assembles an importable module at out/CalicoAlp (CalicoAlp.dll, manifest, format, help,
               Dependencies/ with CalicoAlp.Core + KubernetesClient + YamlDotNet in their own load context).
      Test     Build, then xunit and Pester against the built module and a real local control plane
               (tests/cluster/cluster.sh), then one line 'N passed, N failed'. Exit 1 on any failure or no tests.
      Demo     Build, provision the local control plane, run Enable-CalicoAppLayerPolicy against it.
      Package  Build, then a .nupkg in out/ that Install-PSResource / Publish-PSResource accept.
      Bench    Benchmarks. -Suite Namespaces: Add-AlpNamespace against the local control plane.
               -Suite Policy: the decision engine on a Calico-shaped scale fixture (tests/CalicoAlp.Benchmarks,
               BenchmarkDotNet, short in-process job; a few minutes), then the summary tables. See docs/performance.md.
               -Suite Cedar: our engine against Cedar (cedar-wasm under Node.js, tools/cedar-bench) on the HTTP part of
               the same fixture, both measured in this run; every decision is checked; ends with the ratio line.
               Needs node and npm (npm ci on first use); not part of Test. See docs/performance.md "Cedar comparison".
               -Suite Cmdlet: Test-AlpRequest as a user runs it, each measurement in a fresh 'dotnet pwsh' (-Runs times):
               -AccessLogPath over 1M generated Envoy JSON lines, -AccessLogPath vs a per-line ForEach-Object on 50k lines,
               100k piped request objects, and the start-up cost of Import-Module. Inputs go to out/bench (seeded).
    Run it as: dotnet tool restore; dotnet pwsh ./build.ps1 <Task>
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'Clean')]
    [string[]] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Test: keep the control plane running afterwards (prints its kubeconfig path).
    [switch] $KeepCluster,
    # Bench: which benchmark suites to run.
    [ValidateSet('Namespaces', 'Policy', 'Cedar', 'Cmdlet')]
    [string[]] $Suite = @('Namespaces'),
    # Bench -Suite Cmdlet: fresh processes per measurement (the start-up figure uses at least 5).
    [ValidateRange(1, 20)]
    [int] $Runs = 3,
    # Bench -Suite Cmdlet: runs of the per-line ForEach-Object baseline (50,000 cmdlet calls: minutes per run).
    [ValidateRange(1, 20)]
    [int] $BaselineRuns = 1,
    # Bench -Suite Policy: a BenchmarkDotNet filter (default: every policy benchmark).
    [string] $Filter = '*'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'CalicoAlp'
$ClusterScript = Join-Path $Root 'tests/cluster/cluster.sh'

function Invoke-Native {
    # A plain (non-advanced) function, so that arguments such as --verbosity minimal reach the native command untouched.
    $file, $rest = $args
    & $file @rest
    if ($LASTEXITCODE -ne 0) { throw "'$file $($rest -join ' ')' failed with exit code $LASTEXITCODE." }
}

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
    Write-Host "Built module at $ModuleOut in $([math]::Round($sw.Elapsed.TotalSeconds, 1)) s"
}

function Get-PesterManifest {
    $manifest = Join-Path (Get-NuGetPackagesRoot) 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $manifest)) { throw "Pester 5.7.1 not found at $manifest (the test project's restore downloads it)." }
    $manifest
}

function Start-TestCluster {
    $state = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-cluster-$PID"
    # The script's output goes to the host: this function's only output is the state folder.
    Invoke-Native bash $ClusterScript install | Out-Host
    Invoke-Native bash $ClusterScript start $state | Out-Host
    Invoke-Native bash $ClusterScript fixture $state | Out-Host
    $state
}

function Stop-TestCluster([string] $State) {
    if ($State) { & bash $ClusterScript stop $State }
}

function Invoke-Test {
    Invoke-Build
    $results = Join-Path $Out 'test-results'
    New-Item -ItemType Directory -Force -Path $results | Out-Null
    $state = $null
    $passed = 0; $failed = 0
    try {
        if (-not $env:CALICOALP_TEST_STATE) {
            $state = Start-TestCluster
            $env:CALICOALP_TEST_STATE = $state
        }
        $env:CALICOALP_MODULE = Join-Path $ModuleOut 'CalicoAlp.psd1'
        $env:CALICOALP_SHARED = [IO.Path]::GetFullPath((Join-Path $Root '../shared'))

        # xunit: the module's tests (in-process PowerShell, core, cluster) and the fault proxy's own tests
        foreach ($project in 'tests/CalicoAlp.Tests/CalicoAlp.Tests.csproj', 'tests/CalicoAlp.FaultProxy.Tests/CalicoAlp.FaultProxy.Tests.csproj') {
            $name = [IO.Path]::GetFileNameWithoutExtension($project)
            $trx = Join-Path $results "$name.trx"
            if (Test-Path $trx) { Remove-Item $trx }
            & dotnet test (Join-Path $Root $project) -c $Configuration --no-build --nologo `
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
        $pesterManifest = Get-PesterManifest
        $pesterXml = Join-Path $results 'pester.xml'
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pesterManifest'
`$c = New-PesterConfiguration
`$c.Run.Path = '$(Join-Path $Root 'tests/pester')'
`$c.Run.PassThru = `$true
`$c.Output.RenderMode = 'Plaintext'
`$c.Output.Verbosity = 'Detailed'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputFormat = 'JUnitXml'
`$c.TestResult.OutputPath = '$pesterXml'
`$r = Invoke-Pester -Configuration `$c
# A test file that fails during discovery or in a BeforeAll/AfterAll counts as failed too (its tests may never have run).
"PESTER-COUNTS `$(`$r.PassedCount) `$(`$r.FailedCount + `$r.FailedContainersCount + `$r.FailedBlocksCount) `$(`$r.TotalCount)"
"@
        $pesterOut = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 | ForEach-Object { Write-Host $_; $_ }
        $line = $pesterOut | Where-Object { "$_" -match '^PESTER-COUNTS (\d+) (\d+) (\d+)$' } | Select-Object -Last 1
        if (-not $line) { throw 'Pester did not report its counts.' }
        $null = "$line" -match '^PESTER-COUNTS (\d+) (\d+) (\d+)$'
        $passed += [int] $Matches[1]; $failed += [int] $Matches[2]
        Write-Host "pester: $($Matches[1]) passed, $($Matches[2]) failed (of $($Matches[3]))"
    }
    finally {
        if ($state -and -not $KeepCluster) { Stop-TestCluster $state; Remove-Item Env:CALICOALP_TEST_STATE -ErrorAction SilentlyContinue }
        elseif ($state) { Write-Host "Cluster left running: KUBECONFIG=$state/kubeconfig (stop: bash $ClusterScript stop $state)" }
    }
    "$passed passed, $failed failed"
    if ($failed -gt 0 -or ($passed + $failed) -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $state = Join-Path ([IO.Path]::GetTempPath()) 'calicoalp-demo'
    if (Test-Path (Join-Path $state 'env')) { & bash $ClusterScript stop $state }
    Invoke-Native bash $ClusterScript install
    Invoke-Native bash $ClusterScript start $state
    Invoke-Native bash $ClusterScript fixture $state
    $kubeconfig = Join-Path $state 'kubeconfig'
    $demo = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Join-Path $ModuleOut 'CalicoAlp.psd1')'
function Step([string] `$text) { Write-Host "``n>>> `$text" -ForegroundColor Cyan }
Step 'Enable-CalicoAppLayerPolicy -Kubeconfig $kubeconfig -WhatIf'
Enable-CalicoAppLayerPolicy -Kubeconfig '$kubeconfig' -WhatIf
Step 'Enable-CalicoAppLayerPolicy | Set-IstioInjectorPatch | Add-AlpNamespace -Name shop -Restart'
& kubectl --kubeconfig '$kubeconfig' create namespace shop | Out-Null
& kubectl --kubeconfig '$kubeconfig' -n shop create deployment api --image=nginx:1.19 | Out-Null
Enable-CalicoAppLayerPolicy -Kubeconfig '$kubeconfig' | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
Enable-CalicoAppLayerPolicy -Kubeconfig '$kubeconfig' | Set-IstioInjectorPatch -Confirm:`$false | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
Add-AlpNamespace -Kubeconfig '$kubeconfig' -Name shop -Restart | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
Step 'again: nothing to write'
Enable-CalicoAppLayerPolicy -Kubeconfig '$kubeconfig' | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
Step 'Test-AlpRequest: would these requests be allowed, and why?'
`$policy = '$(Join-Path $Root 'docs/examples/shop-policy.yaml')'
@(
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/api/orders?page=2' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'DELETE'; Path = '/api/orders' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/apiary' }
    [pscustomobject]@{ SourceNamespace = 'web'; SourceServiceAccount = 'crawler'; SourceIP = '10.2.0.9'; Method = 'GET'; Path = '/api/orders' }
) | Test-AlpRequest -PolicyPath `$policy -DestinationNamespace shop -DestinationServiceAccount api -DestinationLabels @{ app = 'api' } -DestinationPort 8080 |
    Format-Table -AutoSize | Out-String -Width 220 | Write-Host
"@
    try {
        Invoke-Native dotnet pwsh -NoProfile -NonInteractive -Command $demo
        Write-Host "`n>>> kubectl: what the cmdlets left in the cluster" -ForegroundColor Cyan
        & kubectl --kubeconfig $kubeconfig get felixconfigurations.crd.projectcalico.org default -o 'jsonpath={.spec.policySyncPathPrefix}{"\n"}'
        & kubectl --kubeconfig $kubeconfig -n istio-system get serviceentries,destinationrules,envoyfilters
        & kubectl --kubeconfig $kubeconfig get namespace shop --show-labels
    }
    finally {
        & bash $ClusterScript stop $state
    }
}

function Invoke-Package {
    Invoke-Build
    $repo = Join-Path $Out 'repo'
    New-Item -ItemType Directory -Force -Path $repo | Out-Null
    Get-ChildItem $repo -Filter *.nupkg | Remove-Item
    $script = @"
`$ErrorActionPreference = 'Stop'
`$name = 'CalicoAlpBuild' + `$PID
Register-PSResourceRepository -Name `$name -Uri '$repo' -Trusted
try {
    Publish-PSResource -Path '$ModuleOut' -Repository `$name -SkipDependenciesCheck
    # Prove the package installs and imports the way a user would get it.
    `$check = Join-Path ([IO.Path]::GetTempPath()) ('calicoalp-pkg-' + `$PID)
    New-Item -ItemType Directory -Force -Path `$check | Out-Null
    Save-PSResource -Name CalicoAlp -Repository `$name -Path `$check -TrustRepository
    `$m = Import-Module (Join-Path `$check 'CalicoAlp') -PassThru
    Write-Host "Package check: installed CalicoAlp `$(`$m.Version) exports `$(`$m.ExportedCmdlets.Count) cmdlets"
    Remove-Module CalicoAlp; Remove-Item `$check -Recurse -Force
}
finally { Unregister-PSResourceRepository -Name `$name }
"@
    Invoke-Native dotnet pwsh -NoProfile -NonInteractive -Command $script
    Get-ChildItem $repo -Filter *.nupkg | ForEach-Object { Write-Host "Package: $($_.FullName)" }
}

# ---------------------------------------------------------------- Bench -Suite Cmdlet

# The policy set of the access-log replay tests and of the cmdlet benchmarks (tools/replay-policy.yaml).
$BenchPolicyFile = Join-Path $Root 'tools/replay-policy.yaml'

function Get-NuGetPackagesRoot {
    ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
}

function Get-LoadAverage {
    if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } else { 'n/a' }
}

function Get-BenchStats([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    $median = if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
    [pscustomobject]@{ Median = $median; Min = $sorted[0]; Max = $sorted[-1]; Runs = $n }
}

function Invoke-BenchProcess([string[]] $Command, [string] $Script) {
    # One fresh process; returns its wall time and the key=value pairs of its 'BENCH ' lines.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $exe = $Command[0]
    $rest = @($Command | Select-Object -Skip 1)
    $lines = & $exe @rest -NoProfile -NonInteractive -Command $Script 2>&1
    $sw.Stop()
    if ($LASTEXITCODE -ne 0) { $lines | Write-Host; throw "Bench process failed (exit code $LASTEXITCODE)." }
    $result = @{ Wall = $sw.Elapsed.TotalSeconds }
    foreach ($l in $lines) {
        if ("$l" -match '^BENCH (.*)$') {
            foreach ($kv in $Matches[1] -split ' ') { $k, $v = $kv -split '=', 2; $result[$k] = $v }
        }
    }
    $result
}

function Invoke-CmdletBench {
    Invoke-Build
    $bench = Join-Path $Out 'bench'
    $policyDir = Join-Path $bench 'policy'
    New-Item -ItemType Directory -Force -Path $policyDir | Out-Null
    $policy = Join-Path $policyDir 'replay-policy.yaml'
    Copy-Item -LiteralPath $BenchPolicyFile -Destination $policy -Force
    $module = Join-Path $ModuleOut 'CalicoAlp.psd1'
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
}

function Invoke-Bench {
    if ($Suite -contains 'Namespaces') {
        Invoke-Build
        $state = $env:CALICOALP_TEST_STATE
        $owned = $false
        if (-not $state) { $state = Start-TestCluster; $owned = $true }
        try {
            & (Join-Path $Root 'tools/Measure-NamespaceScale.ps1') -Kubeconfig (Join-Path $state 'kubeconfig') -ModulePath (Join-Path $ModuleOut 'CalicoAlp.psd1')
        }
        finally { if ($owned) { Stop-TestCluster $state } }
    }
    if ($Suite -contains 'Policy') {
        # Always Release: BenchmarkDotNet refuses (or misreports) non-optimised builds.
        $project = Join-Path $Root 'tests/CalicoAlp.Benchmarks/CalicoAlp.Benchmarks.csproj'
        Invoke-Native dotnet build $project -c Release --nologo --verbosity quiet
        $dll = Join-Path $Root 'tests/CalicoAlp.Benchmarks/bin/Release/net10.0/CalicoAlp.Benchmarks.dll'
        $artifacts = Join-Path $Out 'bench/policy'
        # Fixture statistics, compile time and retained memory of the compiled engine (Stopwatch / GC, not BenchmarkDotNet).
        Invoke-Native dotnet $dll --fixture
        # Short in-process job (3 warm-ups, 5 iterations of 250 ms); BenchmarkDotNet prints the summary tables at the end.
        # The filter goes through an array: PowerShell expands a bare '*' argument of a native command as a file glob.
        $benchArgs = @('--quick', '--artifacts', $artifacts)
        if ($Filter -ne '*') { $benchArgs += @('--filter', $Filter) }
        Invoke-Native dotnet $dll @benchArgs
        Write-Host "BenchmarkDotNet reports: $(Join-Path $artifacts 'results')"
    }
    if ($Suite -contains 'Cedar') {
        foreach ($tool in 'node', 'npm') {
            if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "Bench -Suite Cedar needs '$tool' on PATH (Node.js)." }
        }
        $project = Join-Path $Root 'tests/CalicoAlp.Benchmarks/CalicoAlp.Benchmarks.csproj'
        Invoke-Native dotnet build $project -c Release --nologo --verbosity quiet
        $dll = Join-Path $Root 'tests/CalicoAlp.Benchmarks/bin/Release/net10.0/CalicoAlp.Benchmarks.dll'
        $export = Join-Path $Out 'bench/cedar'
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
    }
    if ($Suite -contains 'Cmdlet') { Invoke-CmdletBench }
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
        }
    }
}
finally { Pop-Location }
