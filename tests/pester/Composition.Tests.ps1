# The cmdlets together, as an admin runs them: imported from the built module into pwsh, against the local API server.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $state = Get-TestClusterState
    $kc = Join-Path $state 'kubeconfig'
    $prefix = 'pester' + (Get-Random -Maximum 99999)
    function Restore-Injector {
        Invoke-TestKubectl -n istio-system delete configmap istio-sidecar-injector-calicoalp-backup --ignore-not-found | Out-Null
        Invoke-TestKubectl replace -f (Join-Path $RepoRoot 'tests/cluster/fixture/istio-sidecar-injector-configmap.yaml') | Out-Null
    }
    foreach ($n in 'shop', 'app-a', 'app-b') {
        Invoke-TestKubectl create namespace "$prefix-$n" | Out-Null
    }
    Invoke-TestKubectl -n "$prefix-app-a" create deployment web --image=nginx:1.19 | Out-Null
}

AfterAll {
    foreach ($n in 'shop', 'app-a', 'app-b') { Invoke-TestKubectl delete namespace "$prefix-$n" --wait=false | Out-Null }
    Reset-AlpTestState
    Restore-Injector
    Stop-OwnedTestCluster
}

Describe 'Pipeline composition' -Tag Cluster {
    It 'Enable-CalicoAppLayerPolicy | Set-IstioInjectorPatch | Add-AlpNamespace -Name shop' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin |
            Set-IstioInjectorPatch -Confirm:$false |
            Add-AlpNamespace -Name "$prefix-shop"
        $r.PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.AlpNamespaceResult'
        @($r).Count | Should -Be 1
        $r.Namespace | Should -Be "$prefix-shop"
        $r.Context | Should -Be 'admin'
        (Invoke-TestKubectl get ns "$prefix-shop" -o 'jsonpath={.metadata.labels.istio-injection}').Output.Trim() | Should -Be 'enabled'
        (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o 'jsonpath={.data.config}').Output | Should -Match '- name: dikastes'
        Get-FelixPrefix | Should -Be '/var/run/nodeagent'
    }

    It "'app-*' | Add-AlpNamespace -Restart -WhatIf shows what it would do and changes nothing" {
        $before = (Invoke-TestKubectl -n "$prefix-app-a" get deployment web -o 'jsonpath={.metadata.resourceVersion}').Output
        $out = "$prefix-app-*" | Add-AlpNamespace -Kubeconfig $kc -Context admin -Restart -WhatIf
        ($out.Namespace | Sort-Object) | Should -Be @("$prefix-app-a", "$prefix-app-b")
        ($out.WhatIf | Sort-Object -Unique) | Should -Be $true
        ($out.LabelAction | Sort-Object -Unique) | Should -Be 'Updated'
        # (Deployment web has no pods here: the local control plane runs no deployment controller, so nothing needs a restart;
        # NamespaceChangeFlowTests previews restarts of workloads that have pods.)
        (Invoke-TestKubectl get ns "$prefix-app-a" -o 'jsonpath={.metadata.labels.istio-injection}').Output.Trim() | Should -BeNullOrEmpty
        (Invoke-TestKubectl -n "$prefix-app-a" get deployment web -o 'jsonpath={.metadata.resourceVersion}').Output | Should -Be $before
    }

    It 'results feed the next command: Add-AlpNamespace | Remove-AlpNamespace' {
        $added = "$prefix-app-*" | Add-AlpNamespace -Kubeconfig $kc -Context admin -WarningAction SilentlyContinue
        ($added.Namespace | Sort-Object) | Should -Be @("$prefix-app-a", "$prefix-app-b")
        $removed = $added | Remove-AlpNamespace
        ($removed | ForEach-Object LabelAction | Sort-Object -Unique) | Should -Be 'Updated'
        (Invoke-TestKubectl get ns "$prefix-app-a" -o 'jsonpath={.metadata.labels.istio-injection}').Output.Trim() | Should -BeNullOrEmpty
    }

    It 'has table views for every result type' {
        $t = Add-AlpNamespace -Kubeconfig $kc -Context admin -Name "$prefix-shop" | Format-Table | Out-String -Width 200
        $t | Should -Match 'Context\s+Namespace\s+Label\s+WhatIf\s+NeedRestart\s+Restarted\s+PilotEgress\s+Workloads'
        $i = Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Confirm:$false | Format-Table | Out-String -Width 200
        $i | Should -Match 'Context\s+Istio\s+Calico\s+Image\s+Action\s+WhatIf'
    }
}

Describe 'Set-IstioInjectorPatch offline (GitOps)' -Tag Cluster, Shared {
    It 'patches a stock ConfigMap file and Remove gives it back byte for byte' {
        $stock = Join-Path $TestDrive 'stock.yaml'
        Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o yaml | Out-Null
        Restore-Injector
        (Invoke-TestKubectl -n istio-system get configmap istio-sidecar-injector -o yaml).Output | Set-Content $stock -NoNewline
        $patched = Join-Path $TestDrive 'patched.yaml'
        $r = Set-IstioInjectorPatch -Path $stock -CalicoVersion 3.12.3 -OutFile $patched -Confirm:$false
        $r.Action | Should -Be 'Created'
        $r.Context | Should -Be 'offline'
        Get-Content $patched -Raw | Should -Match 'calico/dikastes:v3.12.3'
        $back = Join-Path $TestDrive 'back.yaml'
        Remove-IstioInjectorPatch -Path $patched -OutFile $back -Confirm:$false | Out-Null
        (Get-FileHash $back).Hash | Should -Be (Get-FileHash $stock).Hash
    }

    It 'offline use does not load KubernetesClient' {
        $file = Join-Path (Get-SharedFolder) 'upstream/calico-alp/rendered/v3.12/istio-inject-configmap-1.4.2.yaml'
        $script = "Import-Module '$ModulePath'; Remove-IstioInjectorPatch -Path '$file' -OutFile '$(Join-Path $TestDrive 'x.yaml')' -Confirm:`$false | Out-Null; " +
            "[AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'KubernetesClient'"
        (& dotnet pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1) | Should -Be 'False'
    }
}
