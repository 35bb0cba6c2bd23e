BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $state = Get-TestClusterState
    $kc = Join-Path $state 'kubeconfig'
}

AfterAll {
    Reset-AlpTestState
    Stop-OwnedTestCluster
}

Describe 'The module' -Tag Cluster {
    It 'is a Core-edition module for PowerShell 7.4+ with explicit exports' {
        $m = Get-Module CalicoAlp
        $m.CompatiblePSEditions | Should -Be @('Core')
        $m.PowerShellVersion | Should -Be ([version]'7.4')
        $m.ExportedCmdlets.Keys | Should -Contain 'Enable-CalicoAppLayerPolicy'
        $m.ExportedCmdlets.Keys | Should -Contain 'Disable-CalicoAppLayerPolicy'
        $m.ExportedFunctions.Count | Should -Be 0
    }

    It 'loads its dependencies into their own load context' {
        Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin -WhatIf
        $alcs = [AppDomain]::CurrentDomain.GetAssemblies() |
            Where-Object { $_.GetName().Name -in 'CalicoAlp.Core', 'KubernetesClient' } |
            ForEach-Object { [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }
        $alcs | Should -Be @('CalicoAlp.Dependencies', 'CalicoAlp.Dependencies')
    }

    It 'keeps working when another module loaded an old YamlDotNet first' {
        $global = ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
        $oldYaml = Join-Path $global 'yamldotnet/11.2.1/lib/netstandard2.1/YamlDotNet.dll'
        $oldYaml | Should -Exist
        $script = "Add-Type -Path '$oldYaml'; Import-Module '$ModulePath'; " +
            "`$r = Enable-CalicoAppLayerPolicy -Kubeconfig '$kc' -Context admin -SkipAuthorizationService; " +
            "[AppDomain]::CurrentDomain.GetAssemblies() | ? { `$_.GetName().Name -eq 'YamlDotNet' } | % { 'YAML ' + `$_.GetName().Version + ' ' + [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name }; 'ACTION ' + `$r.Action"
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Match 'YAML 11\.0\.0\.0 Default'
        $out | Should -Match 'ACTION (Updated|Unchanged)'
        Reset-AlpTestState
    }
}

Describe 'Enable-CalicoAppLayerPolicy against the local API server' -Tag Cluster {
    BeforeEach { Reset-AlpTestState }

    It '-WhatIf shows the results it would produce and changes nothing' {
        $out = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin -WhatIf
        ($out | ForEach-Object { "$($_.Kind):$($_.Action):$($_.WhatIf)" }) | Should -Be @('FelixConfiguration:Updated:True', 'ServiceEntry:Created:True', 'DestinationRule:Created:True', 'EnvoyFilter:Created:True')
        ($out | Format-Table | Out-String -Width 200) | Should -Match 'Action\s+WhatIf\s+Change'
        Get-FelixPrefix | Should -BeNullOrEmpty
        (Invoke-TestKubectl -n istio-system get envoyfilters.networking.istio.io ext-authz).ExitCode | Should -Not -Be 0
    }

    It 'enables ALP and emits one typed result per resource, then Unchanged' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin
        $r.Count | Should -Be 4
        $r[0].PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.ResourceChange'
        ($r | ForEach-Object { "$($_.Kind):$($_.Action)" }) | Should -Be @('FelixConfiguration:Updated', 'ServiceEntry:Created', 'DestinationRule:Created', 'EnvoyFilter:Created')
        Get-FelixPrefix | Should -Be '/var/run/nodeagent'
        (Invoke-TestKubectl -n istio-system get envoyfilters.networking.istio.io ext-authz -o 'jsonpath={.metadata.labels.app\.kubernetes\.io/managed-by}').Output.Trim() | Should -Be 'calicoalp'

        $again = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin
        $again.Action | Sort-Object -Unique | Should -Be 'Unchanged'
    }

    It 'has a table view with the change' {
        $table = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin -SkipAuthorizationService | Format-Table | Out-String -Width 200
        $table | Should -Match 'Context\s+Kind\s+Namespace\s+Name\s+Action\s+WhatIf\s+Change'
        $table | Should -Match 'spec\.policySyncPathPrefix: <absent> -> "/var/run/nodeagent"'
    }

    It 'binds -Kubeconfig and -Context by property name' {
        $r = [pscustomobject]@{ Kubeconfig = $kc; Context = 'admin' } | Enable-CalicoAppLayerPolicy -SkipAuthorizationService
        $r.Action | Should -Be 'Updated'
        $r.Context | Should -Be 'admin'
    }

    It 'gives a read-only user a terminating PermissionDenied error naming the refused write' {
        { Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context noaccess -ErrorAction Stop } |
            Should -Throw -ErrorId 'KubeForbidden,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        try { Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context noaccess -ErrorAction Stop } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Message | Should -Match "context 'noaccess' may not get"
        Get-FelixPrefix | Should -BeNullOrEmpty
    }

    It 'reports an unknown context with the list of known ones' {
        try { Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context nope -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'KubeContextNotFound,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        $err.Exception.Message | Should -Match 'admin'
    }

    It 'reports an unreachable cluster clearly' {
        $dead = Join-Path $TestDrive 'dead.kubeconfig'
        (Get-Content $kc -Raw) -replace 'server: https://127\.0\.0\.1:\d+', 'server: https://127.0.0.1:9' | Set-Content $dead
        try { Enable-CalicoAppLayerPolicy -Kubeconfig $dead -Context admin -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ApiServerUnreachable,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand'
        $err.CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'completes -Context from the kubeconfig' {
        $line = "Enable-CalicoAppLayerPolicy -Kubeconfig '$kc' -Context vi"
        $c = TabExpansion2 -inputScript $line -cursorColumn $line.Length
        $c.CompletionMatches.CompletionText | Should -Be @('viewer')
    }
}

Describe 'Disable-CalicoAppLayerPolicy' -Tag Cluster {
    BeforeEach { Reset-AlpTestState }

    It 'is ConfirmImpact High: a non-interactive run without -Force or -Confirm:$false is refused' {
        Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin | Out-Null
        $script = "Import-Module '$ModulePath'; Disable-CalicoAppLayerPolicy -Kubeconfig '$kc' -Context admin"
        $out = & dotnet pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        $out | Should -Match 'NonInteractive'
        Get-FelixPrefix | Should -Be '/var/run/nodeagent'
    }

    It 'undoes Enable with -Force, and composes in a pipeline' {
        $r = Enable-CalicoAppLayerPolicy -Kubeconfig $kc -Context admin |
            Select-Object -First 1 |
            Disable-CalicoAppLayerPolicy -Force
        ($r | ForEach-Object { "$($_.Kind):$($_.Action)" }) | Should -Be @('EnvoyFilter:Deleted', 'DestinationRule:Deleted', 'ServiceEntry:Deleted', 'FelixConfiguration:Updated')
        Get-FelixPrefix | Should -BeNullOrEmpty
    }
}
