# Add-/Remove-AlpNamespace through the built module on the Istio 1.28.1 generation's cluster (Get-TestClusterState
# -Generation): the pod-template annotation inject.istio.io/templates is previewed without a write, made, and undone.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
}

AfterAll {
    if (Get-Command Stop-OwnedTestCluster -ErrorAction SilentlyContinue) { Stop-OwnedTestCluster }
}

Describe 'Add-AlpNamespace on calico3.31-istio1.28.1' -Tag Cluster {
    BeforeAll {
        Import-Module $ModulePath -Force
        $state = Get-TestClusterState -Generation 'calico3.31-istio1.28.1'
        $kc = Join-Path $state 'kubeconfig'
        $ns = 'pester-gen-' + [guid]::NewGuid().ToString('N').Substring(0, 6)
        function kc { & kubectl --kubeconfig $kc --context admin @args }
        @"
apiVersion: v1
kind: Namespace
metadata: {name: $ns}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $ns}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: 'nginx:1.27'}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: gw, namespace: $ns}
spec:
  selector: {matchLabels: {app: gw}}
  template:
    metadata: {labels: {app: gw, istio: ingressgateway}}
    spec: {containers: [{name: istio-proxy, image: auto}]}
"@ | Set-Content -Path ($yaml = Join-Path ([IO.Path]::GetTempPath()) "$ns.yaml")
        kc apply -f $yaml | Out-Null
        Remove-Item $yaml
        function Templates($name) { kc -n $ns get deployment $name -o 'jsonpath={.spec.template.metadata.annotations.inject\.istio\.io/templates}' }
    }

    AfterAll {
        kc delete namespace $ns --wait=false --ignore-not-found | Out-Null
    }

    It 'previews the templates annotation with -WhatIf and writes nothing' {
        $r = Add-AlpNamespace -Name $ns -Restart -WhatIf -Kubeconfig $kc -Context admin -WarningAction SilentlyContinue
        $r.IstioVersion | Should -Be '1.28.1'
        $r.TemplateChanges | Sort-Object | Should -Be @('Deployment/gw: sidecar,dikastes-gateway', 'Deployment/web: sidecar,dikastes')
        Templates web | Should -BeNullOrEmpty
        (kc get namespace $ns -o 'jsonpath={.metadata.labels}') | Should -Not -Match 'istio-injection'
    }

    It 'annotates with -Restart, and Remove-AlpNamespace -Restart takes the annotation off' {
        Add-AlpNamespace -Name $ns -Restart -Kubeconfig $kc -Context admin -WarningAction SilentlyContinue | Out-Null
        Templates web | Should -Be 'sidecar,dikastes'
        Templates gw | Should -Be 'sidecar,dikastes-gateway'
        (kc -n $ns get deployment web -o 'jsonpath={.spec.template.metadata.annotations}') | Should -Not -Match 'restartedAt'
        Remove-AlpNamespace -Name $ns -Restart -Kubeconfig $kc -Context admin -WarningAction SilentlyContinue | Out-Null
        Templates web | Should -BeNullOrEmpty
        Templates gw | Should -BeNullOrEmpty
        (kc get namespace $ns -o 'jsonpath={.metadata.labels}') | Should -Not -Match 'istio-injection'
    }
}
