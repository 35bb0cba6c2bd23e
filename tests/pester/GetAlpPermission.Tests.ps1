# Get-AlpPermission in the built module, in real pwsh (no cluster: it reads only the core's permission table).
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
}

Describe 'Get-AlpPermission' {
    It 'lists typed rules per cmdlet and mode, with a table view' {
        $rules = Get-AlpPermission -Command Get-AlpStatus
        $rules[0].PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.AlpPermission'
        ($rules | Where-Object { $_.Command -ne 'Get-AlpStatus' }) | Should -BeNullOrEmpty
        # Get-AlpStatus only reads.
        ($rules.Verbs | Sort-Object -Unique) | Should -Be @('get', 'list')
        ($rules | Format-Table | Out-String -Width 200) | Should -Match 'felixconfigurations'
    }

    It 'writes a ClusterRole (-Kind is a plain string, so the module imports) and names a missing command' {
        $yaml = Get-AlpPermission -Command Enable-CalicoAppLayerPolicy -AsYaml -Kind ClusterRole -Name alp-enable
        $yaml | Should -BeOfType [string]
        $yaml | Should -Match 'kind: ClusterRole'
        $yaml | Should -Match 'name: alp-enable'
        $yaml | Should -Match 'envoyfilters'
        Get-AlpPermission -Command No-SuchCmdlet -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $e[0].FullyQualifiedErrorId | Should -BeLike 'PermissionCommandNotFound,*'
    }

    It 'refuses Roles for the namespace cmdlets without -TargetNamespace' {
        { Get-AlpPermission -Command Add-AlpNamespace -AsYaml -Kind Role -ErrorAction Stop } |
            Should -Throw -ErrorId 'PermissionTargetNamespaceMissing*'
        $roles = Get-AlpPermission -Command Add-AlpNamespace -AsYaml -Kind Role -TargetNamespace shop
        $roles | Should -Match 'kind: Role'
        $roles | Should -Match 'namespace: shop'
    }
}
