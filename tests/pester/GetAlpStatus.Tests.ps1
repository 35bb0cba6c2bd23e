# Get-AlpStatus and Repair-AlpSetup on the real local API server (default generation: Calico 3.12 + Istio 1.4.2):
# a cluster with ALP off fails exactly the checks it should, Repair-AlpSetup fixes them (nothing written under -WhatIf,
# read back with kubectl), a healthy cluster passes every check, each broken state laid with kubectl gives exactly its
# Fail, a read-only user gets Skipped checks instead of errors, and an unreachable cluster gives one Fail result.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $state = Get-TestClusterState
    $kc = Join-Path $state 'kubeconfig'
    $cluster = @{ Kubeconfig = $kc; Context = 'admin' }

    function Restore-Injector {
        # The stock injector as the fixture lays it (other files expect it unpatched), and no backup.
        $r = Invoke-TestKubectl apply -f (Join-Path $RepoRoot 'tests/cluster/fixture/istio-sidecar-injector-configmap.yaml')
        if ($r.ExitCode -ne 0) { throw "injector restore failed: $($r.Output)" }
        Invoke-TestKubectl -n istio-system delete configmap istio-sidecar-injector-calicoalp-backup --ignore-not-found | Out-Null
    }

    function New-TestWorkload([string] $Namespace, [string] $Name, [string[]] $Containers) {
        # A Deployment, its ReplicaSet and one pod owned by it (no kubelet or scheduler here: pods are laid directly).
        $list = ($Containers | ForEach-Object { "{name: $_, image: 'nginx:1.19'}" }) -join ', '
        $yaml = @"
apiVersion: apps/v1
kind: Deployment
metadata: {name: $Name, namespace: $Namespace}
spec:
  replicas: 1
  selector: {matchLabels: {app: $Name}}
  template:
    metadata: {labels: {app: $Name}}
    spec: {containers: [{name: app, image: 'nginx:1.19'}]}
"@
        $f = Join-Path $TestDrive "$Namespace-$Name-deploy.yaml"; $yaml | Set-Content $f
        (Invoke-TestKubectl apply -f $f).ExitCode | Should -Be 0
        $uid = (Invoke-TestKubectl -n $Namespace get deployment $Name -o 'jsonpath={.metadata.uid}').Output.Trim()
        $yaml = @"
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: $Name-5d8f7
  namespace: $Namespace
  labels: {app: $Name, pod-template-hash: '5d8f7'}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: $Name, uid: '$uid', controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: $Name, pod-template-hash: '5d8f7'}}
  template:
    metadata: {labels: {app: $Name, pod-template-hash: '5d8f7'}}
    spec: {containers: [{name: app, image: 'nginx:1.19'}]}
"@
        $f = Join-Path $TestDrive "$Namespace-$Name-rs.yaml"; $yaml | Set-Content $f
        (Invoke-TestKubectl apply -f $f).ExitCode | Should -Be 0
        $rsUid = (Invoke-TestKubectl -n $Namespace get replicaset "$Name-5d8f7" -o 'jsonpath={.metadata.uid}').Output.Trim()
        $yaml = @"
apiVersion: v1
kind: Pod
metadata:
  name: $Name-5d8f7-abcde
  namespace: $Namespace
  labels: {app: $Name, pod-template-hash: '5d8f7'}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: $Name-5d8f7, uid: '$rsUid', controller: true}]
spec: {containers: [$list]}
"@
        $f = Join-Path $TestDrive "$Namespace-$Name-pod.yaml"; $yaml | Set-Content $f
        (Invoke-TestKubectl apply -f $f).ExitCode | Should -Be 0
    }

    function Get-Failed { @(Get-AlpStatus @cluster | Where-Object Status -eq 'Fail' | ForEach-Object Check) }
}

AfterAll {
    Invoke-TestKubectl delete namespace alp-status-shop alp-status-orphan --ignore-not-found --wait=false | Out-Null
    Reset-AlpTestState
    Restore-Injector
    Stop-OwnedTestCluster
}

Describe 'Get-AlpStatus and Repair-AlpSetup' -Tag Cluster {
    BeforeAll {
        Reset-AlpTestState
        Restore-Injector
        Invoke-TestKubectl delete namespace alp-status-shop alp-status-orphan --ignore-not-found | Out-Null
    }

    It 'fails exactly Felix, the injector and the authorization service on a cluster with ALP off' {
        $r = Get-AlpStatus @cluster
        $r[0].PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.AlpCheckResult'
        ($r | Where-Object Context -ne 'admin') | Should -BeNullOrEmpty
        @($r | Where-Object Status -eq 'Fail' | ForEach-Object Check) | Should -Be @('Felix.PolicySyncPathPrefix', 'Injector.Dikastes', 'AuthorizationService.Objects')
        ($r | Where-Object Check -eq 'Injector.Dikastes').FixCommand | Should -Be "Set-IstioInjectorPatch -Context 'admin'"
        ($r | Where-Object Check -eq 'Injector.NativeSidecars').Status | Should -Be 'NotApplicable'
        ($r | Where-Object Check -eq 'Namespaces.Injection').Status | Should -Be 'Warn'
        Get-AlpStatus @cluster -Quiet | Should -BeFalse
        $table = $r | Format-Table | Out-String -Width 200
        $table | Should -Match 'Context / Area: admin / Felix'
        $table | Should -Match 'Injector\.Dikastes\s+\S*Fail'
    }

    It 'Repair-AlpSetup -WhatIf writes nothing (read back with kubectl)' {
        $before = (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.metadata.resourceVersion}').Output
        $out = Get-AlpStatus @cluster | Where-Object Status -eq Fail | Repair-AlpSetup -WhatIf
        @($out).Count | Should -BeGreaterThan 2
        ($out | Where-Object { $_.WhatIf -ne $true }) | Should -BeNullOrEmpty
        Get-FelixPrefix | Should -BeNullOrEmpty
        (Invoke-TestKubectl -n istio-system get envoyfilters.networking.istio.io ext-authz).ExitCode | Should -Not -Be 0
        (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.metadata.resourceVersion}').Output | Should -Be $before
        (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector-calicoalp-backup).ExitCode | Should -Not -Be 0
    }

    It 'Repair-AlpSetup fixes them in the safe order, and then every check passes' {
        $out = Get-AlpStatus @cluster | Where-Object Status -eq Fail | Repair-AlpSetup -Verbose 4>&1
        $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        ($verbose -match "^Repair on 'admin'") | Should -Match "set Felix's policySyncPathPrefix; make the injector inject Dikastes; apply the authorization service"
        $objects = @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $objects[0].PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.ResourceChange'
        $objects[1].PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.InjectorPatchResult'
        ($objects | Select-Object -Last 1).Kind | Should -Be 'EnvoyFilter'
        Get-FelixPrefix | Should -Be '/var/run/nodeagent'
        Get-Failed | Should -BeNullOrEmpty
        Get-AlpStatus @cluster -Quiet | Should -BeTrue
    }

    It 'passes every check on a healthy cluster with an onboarded namespace' {
        Invoke-TestKubectl create namespace alp-status-shop | Out-Null
        Invoke-TestKubectl label namespace alp-status-shop istio-injection=enabled --overwrite | Out-Null
        New-TestWorkload alp-status-shop web app, istio-proxy, dikastes
        $r = Get-AlpStatus @cluster
        @($r | Where-Object Status -in 'Fail', 'Warn', 'Skipped' | ForEach-Object { "$($_.Check): $($_.Message)" }) | Should -BeNullOrEmpty
        ($r | Where-Object Check -eq 'Workloads.Sidecars').Status | Should -Be 'Pass'
        ($r | Where-Object Check -eq 'PilotEgress.Allowed').Message | Should -Match 'istio-pilot on TCP 15011'
    }

    It 'names the pods that lack dikastes, and Repair-AlpSetup restarts their workload' {
        New-TestWorkload alp-status-shop old app, istio-proxy
        $r = Get-AlpStatus @cluster
        Get-Failed | Should -Be @('Workloads.Sidecars')
        $w = $r | Where-Object Check -eq 'Workloads.Sidecars'
        $w.Message | Should -Match '1 pod\(s\) with istio-proxy but without dikastes in 1 namespace\(s\): alp-status-shop'
        $w.Objects | Should -Be @('Pod alp-status-shop/old-5d8f7-abcde')
        $w.RepairNamespaces | Should -Be @('alp-status-shop')
        $w.FixCommand | Should -Be "Add-AlpNamespace -Name 'alp-status-shop' -Restart -Context 'admin'"
        $detailed = Get-AlpStatus @cluster -Detailed | Where-Object Area -eq 'Workloads'
        $detailed.PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.AlpCheckResult#Detailed'
        ($detailed | Format-List | Out-String) | Should -Match 'FixCommand\s+: Add-AlpNamespace'
        $fixed = $w | Repair-AlpSetup
        $fixed.Namespace | Should -Be 'alp-status-shop'
        $fixed.RestartedWorkloads | Should -Be @('Deployment/old')
        (Invoke-TestKubectl -n alp-status-shop get deployment old -o 'jsonpath={.spec.template.metadata.annotations}').Output | Should -Match 'restartedAt'
    }

    It 'fails only Felix when its prefix is removed' {
        Invoke-TestKubectl -n alp-status-shop delete pod old-5d8f7-abcde | Out-Null
        Reset-AlpTestState
        Enable-CalicoAppLayerPolicy @cluster | Out-Null
        Invoke-TestKubectl patch felixconfigurations.crd.projectcalico.org default --type=merge -p '{"spec":{"policySyncPathPrefix":null}}' | Out-Null
        Get-Failed | Should -Be @('Felix.PolicySyncPathPrefix')
        Invoke-TestKubectl patch felixconfigurations.crd.projectcalico.org default --type=merge -p '{"spec":{"policySyncPathPrefix":"/var/run/other"}}' | Out-Null
        $felix = Get-AlpStatus @cluster | Where-Object Check -eq 'Felix.PolicySyncPathPrefix'
        $felix.Status | Should -Be 'Warn'
        $felix.Repair | Should -Be 'None'
        Invoke-TestKubectl patch felixconfigurations.crd.projectcalico.org default --type=merge -p '{"spec":{"policySyncPathPrefix":"/var/run/nodeagent"}}' | Out-Null
        Get-Failed | Should -BeNullOrEmpty
    }

    It 'fails only the authorization service when the EnvoyFilter differs from Calico''s (no stat_prefix: projectcalico/calico#2261)' {
        # The TCP ext_authz filter without stat_prefix, which broke Istio 1.0.2 (projectcalico/calico#2261).
        $r = Invoke-TestKubectl -n istio-system patch envoyfilters.networking.istio.io ext-authz --type=json -p '[{"op":"remove","path":"/spec/filters/1/filterConfig/stat_prefix"}]'
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Get-Failed | Should -Be @('AuthorizationService.Objects')
        (Get-AlpStatus @cluster | Where-Object Check -eq 'AuthorizationService.Objects').Message | Should -Match 'EnvoyFilter istio-system/ext-authz differs'
        Get-AlpStatus @cluster | Where-Object Status -eq Fail | Repair-AlpSetup | Out-Null
        Get-Failed | Should -BeNullOrEmpty
    }

    It 'fails only the injector on a Dikastes image that does not match calico-node (projectcalico/calico#2799)' {
        $cm = (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o json).Output | ConvertFrom-Json
        $cm.data.config = $cm.data.config.Replace('calico/dikastes:v3.12.3', 'calico/dikastes:v3.11.2')
        $f = Join-Path $TestDrive 'skew.json'; $cm | ConvertTo-Json -Depth 20 | Set-Content $f
        (Invoke-TestKubectl replace -f $f).ExitCode | Should -Be 0
        Get-Failed | Should -Be @('Injector.Dikastes')
        (Get-AlpStatus @cluster | Where-Object Check -eq 'Injector.Dikastes').Message | Should -Match 'calico/dikastes:v3\.11\.2 does not match calico-node 3\.12\.3.*#2799'
        Get-AlpStatus @cluster | Where-Object Status -eq Fail | Repair-AlpSetup | Out-Null
        (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.data.config}').Output | Should -Match 'calico/dikastes:v3\.12\.3'
        Get-Failed | Should -BeNullOrEmpty
    }

    It 'fails pilot egress with the blocking policy named, and Repair-AlpSetup opens it' {
        $deny = @'
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: default.deny-egress, namespace: alp-status-shop}
spec: {tier: default, selector: all(), types: [Egress], egress: [{action: Deny}]}
'@
        $f = Join-Path $TestDrive 'deny.yaml'; $deny | Set-Content $f
        (Invoke-TestKubectl apply -f $f).ExitCode | Should -Be 0
        Get-Failed | Should -Be @('PilotEgress.Allowed')
        $p = Get-AlpStatus @cluster | Where-Object Check -eq 'PilotEgress.Allowed'
        $p.Message | Should -Match 'alp-status-shop: Blocked by .*deny-egress'
        $p.FixCommand | Should -Be "Add-AlpNamespace -Name 'alp-status-shop' -AllowIstioPilot -Context 'admin'"
        $p | Repair-AlpSetup | Out-Null
        (Invoke-TestKubectl -n alp-status-shop get networkpolicies.crd.projectcalico.org allow-istio-pilot).ExitCode | Should -Be 0
        Get-Failed | Should -BeNullOrEmpty
    }

    It 'fails a namespace labelled for a revision that has no control plane' {
        Invoke-TestKubectl create namespace alp-status-orphan | Out-Null
        Invoke-TestKubectl label namespace alp-status-orphan istio.io/rev=canary | Out-Null
        Get-Failed | Should -Be @('Namespaces.Injection')
        (Get-AlpStatus @cluster | Where-Object Check -eq 'Namespaces.Injection').Message | Should -Match 'alp-status-orphan \(istio.io/rev=canary\)'
        Invoke-TestKubectl delete namespace alp-status-orphan --timeout=60s | Out-Null
    }

    It 'fails mutual TLS, which Repair-AlpSetup leaves alone with its fix command as a warning' {
        $mp = (Invoke-TestKubectl get meshpolicies.authentication.istio.io default -o yaml).Output
        $f = Join-Path $TestDrive 'meshpolicy.yaml'; $mp | Set-Content $f
        try {
            Invoke-TestKubectl delete meshpolicies.authentication.istio.io default | Out-Null
            Get-Failed | Should -Be @('MutualTls.MeshWide')
            $out = Get-AlpStatus @cluster | Where-Object Status -eq Fail | Repair-AlpSetup -WarningVariable w -WarningAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            "$w" | Should -Match 'MutualTls.MeshWide is not repaired by Repair-AlpSetup: Install Istio with values.global.mtls.enabled=true'
        }
        finally {
            Invoke-TestKubectl apply -f $f | Out-Null
        }
    }

    It 'reports checks it may not read as Skipped, naming the refused read, for a read-only user' {
        $r = Get-AlpStatus -Kubeconfig $kc -Context viewer
        $skipped = @($r | Where-Object Status -eq 'Skipped')
        $skipped.Count | Should -BeGreaterThan 0
        $skipped[0].Message | Should -Match 'forbidden \(403\)'
        ($r | Where-Object Context -ne 'viewer') | Should -BeNullOrEmpty
    }

    It 'gives one Fail result for a cluster it cannot reach, and -Quiet says false' {
        $bad = Join-Path $TestDrive 'unreachable.kubeconfig'
        (Get-Content $kc -Raw) -replace 'https://127\.0\.0\.1:\d+', 'https://127.0.0.1:1' | Set-Content $bad
        $r = Get-AlpStatus -Kubeconfig $bad -Context admin -ErrorAction Stop
        @($r).Count | Should -Be 1
        $r.Check | Should -Be 'Cluster.Connection'
        $r.Status | Should -Be 'Fail'
        Get-AlpStatus -Kubeconfig $bad -Context admin -Quiet | Should -BeFalse
    }
}
