# Several clusters in one call (-Context a,b,c, contexts from the pipeline, -ThrottleLimit): two real control planes
# (the suite's cluster and a second one started here unless $env:CALICOALP_FLEET_STATE names a running one), plus a
# stopped cluster (a kubeconfig whose API server port is closed), a forbidden one (the 'noaccess' user) and, for
# Ctrl+C, a cluster that accepts connections and never answers.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $stateA = Get-TestClusterState

    $script:OwnedFleetState = $null
    $stateB = $env:CALICOALP_FLEET_STATE
    if (-not $stateB) { $stateB = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-pester-$PID-fleet" }
    $running = $false
    if (Test-Path (Join-Path $stateB 'kubeconfig')) { & bash $ClusterScript status $stateB *> $null; $running = $LASTEXITCODE -eq 0 }
    if (-not $running) {
        & bash $ClusterScript install | Out-Null
        & bash $ClusterScript start $stateB | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "could not start the second test cluster in $stateB" }
        $script:OwnedFleetState = $stateB
    }
    & bash $ClusterScript fixture $stateB | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "could not lay the fixture in $stateB" }

    # Every cluster's kubeconfig names its cluster, users and contexts alike (calicoalp-local, admin, ...): give each
    # file its own names, so that the files merge (-Kubeconfig a,b,...) with distinct contexts.
    function New-FleetKubeconfig([string] $Source, [string] $Prefix, [string] $Server) {
        $text = (Get-Content $Source -Raw) -replace 'calicoalp-local', "$Prefix-local" -replace 'calicoalp-(admin|viewer|noaccess)', "$Prefix-user-`$1" -replace '(?m)^(- name|current-context): (admin|viewer|noaccess)$', "`$1: $Prefix-`$2"
        if ($Server) { $text = $text -replace 'server: https://127\.0\.0\.1:\d+', "server: $Server" }
        $path = Join-Path $TestDrive "$Prefix.kubeconfig"
        Set-Content -Path $path -Value $text -NoNewline
        $path
    }
    function Get-ClosedPort {
        $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p
    }
    $kcA = New-FleetKubeconfig (Join-Path $stateA 'kubeconfig') 'a'
    $kcB = New-FleetKubeconfig (Join-Path $stateB 'kubeconfig') 'b'
    $kcDead = New-FleetKubeconfig (Join-Path $stateA 'kubeconfig') 'dead' "https://127.0.0.1:$(Get-ClosedPort)"
    $fleet = @($kcA, $kcB, $kcDead)

    function Invoke-FleetKubectl([string] $State) {
        $out = & kubectl --kubeconfig (Join-Path $State 'kubeconfig') --context admin @args 2>&1
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
    }
    function Reset-Fleet {
        foreach ($s in $stateA, $stateB) {
            Invoke-FleetKubectl $s -n istio-system delete serviceentries.networking.istio.io/dikastes destinationrules.networking.istio.io/dikastes-mtls envoyfilters.networking.istio.io/ext-authz --ignore-not-found | Out-Null
            $r = Invoke-FleetKubectl $s patch felixconfigurations.crd.projectcalico.org default --type=merge -p '{"metadata":{"annotations":{"calicoalp.io/previous-policy-sync-path-prefix":null}},"spec":{"policySyncPathPrefix":null}}'
            if ($r.ExitCode -ne 0) { throw "reset of $s failed: $($r.Output)" }
        }
    }
    function Get-Prefix([string] $State) {
        (Invoke-FleetKubectl $State get felixconfigurations.crd.projectcalico.org default -o 'jsonpath={.spec.policySyncPathPrefix}').Output.Trim()
    }
}

AfterAll {
    if ($stateB) { Reset-Fleet }
    if ($script:OwnedFleetState) { & bash $ClusterScript stop $script:OwnedFleetState | Out-Null }
    Stop-OwnedTestCluster
}

Describe 'Several clusters in one call' -Tag Cluster {
    BeforeEach { Reset-Fleet }

    It '-Context a,b: both clusters, every result carrying its context' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context a-admin, b-admin -WhatIf
        $r.Count | Should -Be 8
        ($r | Group-Object Context | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) | Should -Be @('a-admin=4', 'b-admin=4')
        ($r | Where-Object Context -EQ 'b-admin' | ForEach-Object { "$($_.Kind):$($_.Action)" }) |
            Should -Be @('FelixConfiguration:Updated', 'ServiceEntry:Created', 'DestinationRule:Created', 'EnvoyFilter:Created')
        Get-Prefix $stateA | Should -BeNullOrEmpty
    }

    It 'a stopped and a forbidden cluster give one error each; the others are changed' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context a-admin, dead-admin, b-noaccess, b-admin -ErrorVariable errs -ErrorAction SilentlyContinue
        ($r | Group-Object Context | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Count)" }) | Should -Be @('a-admin=4', 'b-admin=4')
        $r.Action | Sort-Object -Unique | Should -Be @('Created', 'Updated')
        Get-Prefix $stateA | Should -Be '/var/run/nodeagent'
        Get-Prefix $stateB | Should -Be '/var/run/nodeagent'
        $errs.Count | Should -Be 2
        $byTarget = @{}; foreach ($e in $errs) { $byTarget[[string]$e.TargetObject] = $e }
        $byTarget.Keys | Sort-Object | Should -Be @('b-noaccess', 'dead-admin')
        $byTarget['dead-admin'].FullyQualifiedErrorId | Should -Be 'ApiServerUnreachable,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        $byTarget['dead-admin'].CategoryInfo.Category | Should -Be 'ConnectionError'
        $byTarget['b-noaccess'].FullyQualifiedErrorId | Should -Be 'KubeForbidden,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        $byTarget['b-noaccess'].CategoryInfo.Category | Should -Be 'PermissionDenied'
        "$($byTarget['b-noaccess'])" | Should -Match "'b-noaccess'"
    }

    It 'an unknown context among several is an error for it alone' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context nope, a-admin -WhatIf -ErrorVariable errs -ErrorAction SilentlyContinue
        ($r.Context | Sort-Object -Unique) | Should -Be 'a-admin'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'KubeContextNotFound,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        $errs[0].TargetObject | Should -Be 'nope'
    }

    It 'one context keeps the terminating error' {
        { Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context b-noaccess -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'KubeForbidden,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
    }

    It 'takes contexts from piped objects, and a cmdlet''s results drive the next one cluster by cluster' {
        $r = [pscustomobject]@{ Context = 'a-admin' }, [pscustomobject]@{ Context = 'b-admin' } |
            Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -SkipAuthorizationService
        ($r | ForEach-Object { "$($_.Context):$($_.Kind):$($_.Action)" }) | Sort-Object | Should -Be @('a-admin:FelixConfiguration:Updated', 'b-admin:FelixConfiguration:Updated')
        # Enable's results carry Context and Kubeconfig: the injector of each cluster is planned once.
        $i = Enable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context a-admin, b-admin | Set-IstioInjectorPatch -WhatIf
        ($i.Context | Sort-Object) | Should -Be @('a-admin', 'b-admin')
        $i.WhatIf | Sort-Object -Unique | Should -Be $true
    }

    It 'Add-AlpNamespace: names and contexts bound by property name from piped rows' {
        Invoke-FleetKubectl $stateB create namespace fleet-shop | Out-Null
        $rows = @(
            [pscustomobject]@{ Namespace = 'default'; Context = 'a-admin' }
            [pscustomobject]@{ Namespace = 'fleet-shop'; Context = 'b-admin' }
            [pscustomobject]@{ Namespace = 'default'; Context = 'b-admin' }
        )
        $r = $rows | Add-AlpNamespace -Kubeconfig $fleet -WhatIf -WarningAction SilentlyContinue
        ($r | ForEach-Object { "$($_.Context)/$($_.Namespace)" } | Sort-Object) | Should -Be @('a-admin/default', 'b-admin/default', 'b-admin/fleet-shop')
    }

    It '-ThrottleLimit 1 works on the clusters one after the other, with the same results' {
        $r = Disable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context a-admin, b-admin -ThrottleLimit 1 -WhatIf -Confirm:$false
        { Disable-CalicoAppLayerPolicy -Kubeconfig $fleet -Context a-admin -ThrottleLimit 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        (@($r) | Where-Object { $_.Context -notin 'a-admin', 'b-admin' }).Count | Should -Be 0
    }

    It 'Test-AlpRequest -Context a,b: one decision per cluster, each from its own policies' {
        $ns = 'fleet-api'
        Invoke-FleetKubectl $stateB create namespace $ns | Out-Null
        @"
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: api, namespace: $ns}
spec:
  selector: app == 'api'
  types: [Ingress]
  ingress:
  - action: Allow
    source: {nets: [10.1.0.0/24]}
"@ | & kubectl --kubeconfig (Join-Path $stateA 'kubeconfig') --context admin apply -f - | Out-Null
        $request = @{ SourceIP = '10.9.0.5'; DestinationNamespace = $ns; DestinationLabels = @{ app = 'api' }; DestinationPort = 8080; Method = 'GET'; Path = '/' }
        $d = Test-AlpRequest -Kubeconfig $fleet -Context a-admin, b-admin, dead-admin @request -ErrorVariable errs -ErrorAction SilentlyContinue
        ($d | Sort-Object Context | ForEach-Object { "$($_.Context):$($_.Decision)" }) | Should -Be @('a-admin:Deny', 'b-admin:Allow')
        ($d | Where-Object Context -EQ 'a-admin').Tier | Should -Be 'default'
        $errs.Count | Should -Be 1
        $errs[0].TargetObject | Should -Be 'dead-admin'
        # One context: the decision names it too; policy files: no context.
        (Test-AlpRequest -Kubeconfig $fleet -Context b-admin @request).Context | Should -Be 'b-admin'
    }

    It 'Get-AlpStatus -Context a,b,dead: the checks of both clusters, and one Fail result for the stopped one' {
        $r = Get-AlpStatus -Kubeconfig $fleet -Context a-admin, b-admin, dead-admin -ErrorVariable errs
        $errs.Count | Should -Be 0
        ($r.Context | Sort-Object -Unique) | Should -Be @('a-admin', 'b-admin', 'dead-admin')
        $dead = @($r | Where-Object Context -EQ 'dead-admin')
        $dead.Count | Should -Be 1
        $dead[0].Check | Should -Be 'Cluster.Connection'
        "$($dead[0].Status)" | Should -Be 'Fail'
        (@($r | Where-Object Context -EQ 'a-admin').Count) | Should -Be (@($r | Where-Object Context -EQ 'b-admin').Count)
        Get-AlpStatus -Kubeconfig $fleet -Context a-admin, dead-admin -Quiet | Should -BeExactly $false
    }

    It 'Compare-AlpPolicy compares against one cluster: several contexts are refused clearly' {
        $f = Join-Path $TestDrive 'empty-policy.yaml'
        Set-Content $f "apiVersion: projectcalico.org/v3`nkind: GlobalNetworkPolicy`nmetadata: {name: p}`nspec: {selector: all()}`n"
        { Compare-AlpPolicy -Kubeconfig $fleet -Context a-admin, b-admin -DifferencePolicyPath $f -DestinationNamespace default -DestinationPort 80 -Method GET -Path / } |
            Should -Throw -ErrorId 'OneContextOnly,CalicoAlp.Cmdlets.CompareAlpPolicyCommand'
    }

    It 'Ctrl+C stops every cluster''s work at once' {
        # A "cluster" that accepts connections and never answers: its request would wait for the 30 s timeout (and retry).
        $hang = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $hang.Start()
        try {
            $kcHang = New-FleetKubeconfig (Join-Path $stateA 'kubeconfig') 'hang' "https://127.0.0.1:$($hang.LocalEndpoint.Port)"
            $ps = [PowerShell]::Create()
            [void]$ps.AddScript("Import-Module '$ModulePath'; Enable-CalicoAppLayerPolicy -Kubeconfig '$kcA','$kcHang' -Context hang-admin, a-admin -Verbose")
            $async = $ps.BeginInvoke()
            # Polled (a script-block event handler would run on the runspace's thread): wait until the hanging cluster is being asked.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (@($ps.Streams.Verbose.ReadAll()) | Where-Object Message -Like '`[hang-admin`] Using context*') -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            [DateTime]::UtcNow | Should -BeLessThan $deadline
            $ps.InvocationStateInfo.State | Should -Be 'Running'
            Start-Sleep -Milliseconds 500
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            try { [void]$ps.EndInvoke($async) } catch { $null = $_ }
            $sw.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # Stopped, not timed out: well before the hanging request's 30 s attempt timeout.
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 15
            $ps.Dispose()
        }
        finally { $hang.Stop() }
    }
}
