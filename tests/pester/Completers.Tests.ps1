# Argument completers, through TabExpansion2 as a user's Tab press runs them, in the built module.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    function Complete([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches
    }
    # A cluster completer waits at most 2 s; on a cold, loaded machine the first read can take longer and goes on in the
    # background, so the first Tab press may offer nothing. Press again (at most 10 times) until the answer is there.
    function Complete-WhenReady([string] $Line) {
        for ($i = 0; $i -lt 10; $i++) {
            $m = Complete $Line
            if ($m) { return $m }
        }
    }
}

AfterAll {
    if (Get-Command Stop-OwnedTestCluster -ErrorAction SilentlyContinue) { Stop-OwnedTestCluster }
}

Describe 'Version completers (the generation table, no cluster)' {
    It 'completes -CalicoVersion of Set-IstioInjectorPatch with the Calico releases the table knows, newest first' {
        (Complete 'Set-IstioInjectorPatch -CalicoVersion ').CompletionText | Should -Be @(32..8 | ForEach-Object { "3.$_" })
    }

    It 'narrows -CalicoVersion of Test-AlpRequest and Compare-AlpPolicy to what is typed' {
        (Complete 'Test-AlpRequest -CalicoVersion 3.1').CompletionText | Should -Be @(19..10 | ForEach-Object { "3.$_" })
        (Complete 'Compare-AlpPolicy -CalicoVersion 3.3').CompletionText | Should -Be @('3.32', '3.31', '3.30')
    }

    It 'completes -IstioVersion with the Istio releases the table knows (1.0 to 1.28)' {
        (Complete 'Set-IstioInjectorPatch -IstioVersion ').CompletionText | Should -Be @(28..0 | ForEach-Object { "1.$_" })
        (Complete 'Set-IstioInjectorPatch -IstioVersion 1.2').CompletionText | Should -Be @('1.28', '1.27', '1.26', '1.25', '1.24', '1.23', '1.22', '1.21', '1.20', '1.2')
    }

    It 'offers nothing for a word no release starts with' {
        Complete 'Set-IstioInjectorPatch -CalicoVersion 4.' | Should -BeNullOrEmpty
    }
}

Describe 'Cluster completers (namespaces, Istio revisions)' -Tag Cluster {
    BeforeAll {
        $state = Get-TestClusterState
        $kc = Join-Path $state 'kubeconfig'
        $prefix = 'pcomp' + (Get-Random -Maximum 99999)
        foreach ($n in 'alpha', 'beta') { Invoke-TestKubectl create namespace "$prefix-$n" | Out-Null }
        # A second revision (labelled, as istioctl makes it) and a copy that is not one (no istio.io/rev label).
        $revisions = Join-Path $TestDrive 'revisions.yaml'
        Set-Content $revisions @"
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector-canary, namespace: istio-system, labels: {istio.io/rev: canary}}
data: {config: 'policy: enabled'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-sidecar-injector-copy, namespace: istio-system}
data: {config: 'policy: enabled'}
"@
        Invoke-TestKubectl apply -f $revisions | Out-Null
    }

    AfterAll {
        foreach ($n in 'alpha', 'beta', 'gamma') { Invoke-TestKubectl delete namespace "$prefix-$n" --wait=false --ignore-not-found | Out-Null }
        Invoke-TestKubectl -n istio-system delete configmap istio-sidecar-injector-canary istio-sidecar-injector-copy --ignore-not-found | Out-Null
    }

    It 'completes -Name of Add-AlpNamespace from the cluster of -Kubeconfig/-Context' {
        (Complete-WhenReady "Add-AlpNamespace -Kubeconfig '$kc' -Context admin -Name $prefix-").CompletionText | Should -Be @("$prefix-alpha", "$prefix-beta")
        (Complete "Remove-AlpNamespace -Kubeconfig '$kc' -Context admin $prefix-b").CompletionText | Should -Be @("$prefix-beta")
        (Complete "Test-AlpRequest -Kubeconfig '$kc' -Context admin -SourceNamespace kube-sys").CompletionText | Should -Be @('kube-system')
    }

    It 'asks the cluster once per completion session: a namespace created meanwhile shows up only after the cache expires' {
        (Complete "Add-AlpNamespace -Kubeconfig '$kc' -Context admin -Name $prefix-").CompletionText | Should -Be @("$prefix-alpha", "$prefix-beta")
        Invoke-TestKubectl create namespace "$prefix-gamma" | Out-Null
        (Complete "Add-AlpNamespace -Kubeconfig '$kc' -Context admin -Name $prefix-").CompletionText | Should -Be @("$prefix-alpha", "$prefix-beta")
        # Another context of the same kubeconfig is another cache entry: it reads the cluster as it is now.
        (Complete-WhenReady "Add-AlpNamespace -Kubeconfig '$kc' -Context viewer -Name $prefix-").CompletionText | Should -Be @("$prefix-alpha", "$prefix-beta", "$prefix-gamma")
    }

    It 'completes -Revision with the installed Istio revisions (the one revision finder), on every -Revision parameter' {
        (Complete-WhenReady "Add-AlpNamespace -Kubeconfig '$kc' -Context admin -Revision ").CompletionText | Should -Be @('canary', 'default')
        (Complete "Set-IstioInjectorPatch -Kubeconfig '$kc' -Context admin -Revision c").CompletionText | Should -Be @('canary')
        (Complete "Enable-CalicoAppLayerPolicy -Kubeconfig '$kc' -Context admin -Revision d").CompletionText | Should -Be @('default')
    }

    It 'offers nothing, and writes no error, when the cluster refuses or cannot be reached' {
        $errors = $Error.Count
        Complete "Add-AlpNamespace -Kubeconfig '$kc' -Context noaccess -Name $prefix-" | Should -BeNullOrEmpty
        $dead = Join-Path $TestDrive 'dead.kubeconfig'
        (Get-Content $kc -Raw) -replace 'server: https://127\.0\.0\.1:\d+', 'server: https://127.0.0.1:9' | Set-Content $dead
        Complete "Add-AlpNamespace -Kubeconfig '$dead' -Context admin -Revision " | Should -BeNullOrEmpty
        Complete "Add-AlpNamespace -Kubeconfig '$(Join-Path $TestDrive 'missing.kubeconfig')' -Name $prefix-" | Should -BeNullOrEmpty
        $Error.Count | Should -Be $errors
    }
}
