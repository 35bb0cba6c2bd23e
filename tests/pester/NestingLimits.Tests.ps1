# Deep nesting (issue 9 item 2). A stack overflow kills the whole pwsh process and no try/catch stops it, so every case
# runs the built module in a CHILD pwsh: the child must exit normally and report our NestingTooDeep error.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')

    function New-Nested([string] $Open, [string] $Inner, [string] $Close, [int] $Depth) {
        ($Open * $Depth) + $Inner + ($Close * $Depth)
    }

    # Runs $Command after importing the module in a fresh pwsh; an error is printed as 'ERRORID <id>' and 'MESSAGE <text>'.
    # A child that does not finish in 10 minutes (the old code spent longer than that on some inputs) is stopped and
    # reported with ExitCode 'timeout'.
    function Invoke-ModuleChild([string] $Command) {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$ModulePath'; " +
            "try { $Command } catch { 'ERRORID ' + `$_.FullyQualifiedErrorId; 'MESSAGE ' + `$_.Exception.Message }"
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in 'pwsh', '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $RepoRoot
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $child = [Diagnostics.Process]::Start($psi)
        $stdout = $child.StandardOutput.ReadToEndAsync()
        $stderr = $child.StandardError.ReadToEndAsync()
        $exit = if ($child.WaitForExit(600000)) { $child.ExitCode } else { $child.Kill($true); $child.WaitForExit(); 'timeout' }
        [pscustomobject]@{ ExitCode = $exit; Output = $stdout.Result + $stderr.Result }
    }

    $request = '-SourceNamespace shop -SourceServiceAccount web -SourceIP 10.1.0.5 -DestinationNamespace shop ' +
        '-DestinationServiceAccount api -DestinationLabels @{ ''nesting-test'' = ''dst'' } -DestinationPort 8080 -Method GET -Path /'
}

Describe 'Deeply nested input ends in NestingTooDeep, not in a dead PowerShell' {
    It 'Test-AlpRequest -PolicyPath with a selector of 20,000 nested parentheses' {
        $file = Join-Path $TestDrive 'deep-selector.yaml'
        "apiVersion: projectcalico.org/v3`nkind: GlobalNetworkPolicy`nmetadata:`n  name: deep`nspec:`n  selector: `"$(New-Nested '(' "a == 'b'" ')' 20000)`"`n" |
            Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID NestingTooDeep,CalicoAlp\.Cmdlets\.TestAlpRequestCommand'
        $r.Output | Should -Match "deep-selector\.yaml:6: document 1: field 'spec\.selector'"
    }

    It 'Test-AlpRequest -PolicyPath with YAML nested 100,000 deep' {
        $file = Join-Path $TestDrive 'deep.yaml'
        "apiVersion: projectcalico.org/v3`nkind: GlobalNetworkPolicy`nmetadata:`n  name: deep`n  annotations: $(New-Nested '{a: ' 'b' '}' 100000)`n" |
            Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID NestingTooDeep,'
        $r.Output | Should -Match "deep\.yaml:5: field 'metadata\.annotations\.a\.a"
    }

    It 'Test-AlpRequest -PolicyPath with JSON nested 100,000 deep' {
        $file = Join-Path $TestDrive 'deep.json'
        "{`"apiVersion`":`"v1`",`"kind`":`"List`",`"items`":$(New-Nested '[' '' ']' 100000)}" | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID NestingTooDeep,'
        $r.Output | Should -Match "deep\.json:1: field 'items\[0\]"
    }

    It 'Set-IstioInjectorPatch -Path with 100,000-deep annotations writes nothing' {
        $file = Join-Path $TestDrive 'deep-injector.yaml'
        $outFile = Join-Path $TestDrive 'patched.yaml'
        ("apiVersion: v1`nkind: ConfigMap`nmetadata:`n  name: istio-sidecar-injector`n  annotations: $(New-Nested '{a: ' 'b' '}' 100000)`n" +
            "data:`n  config: |`n    policy: enabled`n") | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Set-IstioInjectorPatch -Path '$file' -OutFile '$outFile' -CalicoVersion 3.12"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID NestingTooDeep,CalicoAlp\.Cmdlets\.SetIstioInjectorPatchCommand'
        $r.Output | Should -Match "deep-injector\.yaml:5: field 'metadata\.annotations\.a"
        $outFile | Should -Not -Exist
    }
}

Describe 'A GlobalNetworkPolicy with a 20,000-deep selector stored in the cluster' -Tag Cluster {
    BeforeAll {
        $state = Get-TestClusterState
        $kc = Join-Path $state 'kubeconfig'
        # Unique names: another run against the same cluster must not collide with this one.
        $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
        $ns = "nesting-$suffix"
        $deepName = "nesting-deep-$suffix"
        $goodName = "nesting-good-$suffix"
        $deep = @{
            apiVersion = 'crd.projectcalico.org/v1'; kind = 'GlobalNetworkPolicy'; metadata = @{ name = $deepName }
            spec = @{ selector = (New-Nested '(' "a == 'b'" ')' 20000); types = @('Ingress'); ingress = @(@{ action = 'Allow' }) }
        }
        # The other policies still count: this one denies the request the test asks about.
        $good = @{
            apiVersion = 'crd.projectcalico.org/v1'; kind = 'GlobalNetworkPolicy'; metadata = @{ name = $goodName }
            spec = @{ order = 0; selector = "nesting-test == 'dst'"; types = @('Ingress'); ingress = @(@{ action = 'Deny' }) }
        }
        $file = Join-Path $TestDrive 'policies.json'
        @{ apiVersion = 'v1'; kind = 'List'; items = @($deep, $good) } | ConvertTo-Json -Depth 10 | Set-Content $file
        $r = Invoke-TestKubectl create -f $file
        if ($r.ExitCode -ne 0) { throw "kubectl create failed: $($r.Output)" }
        $r = Invoke-TestKubectl create namespace $ns
        if ($r.ExitCode -ne 0) { throw "kubectl create namespace failed: $($r.Output)" }
    }

    AfterAll {
        Invoke-TestKubectl delete globalnetworkpolicies.crd.projectcalico.org $deepName $goodName --ignore-not-found | Out-Null
        Invoke-TestKubectl delete namespace $ns --wait=false --ignore-not-found | Out-Null
        Stop-OwnedTestCluster
    }

    It 'is stored as it is (the API server accepts it)' {
        (Invoke-TestKubectl get globalnetworkpolicies.crd.projectcalico.org $deepName -o 'jsonpath={.spec.selector}').Output.Trim().Length |
            Should -Be (20000 * 2 + "a == 'b'".Length)
    }

    It 'Test-AlpRequest in cluster mode answers from the other policies and warns naming the object and field' {
        $r = Invoke-ModuleChild ("`$d = Test-AlpRequest -Kubeconfig '$kc' -Context admin $request -WarningVariable wv -WarningAction SilentlyContinue; " +
            "'DECISION ' + `$d.Decision + ' ' + `$d.Policy; `$wv | ForEach-Object { 'WARN ' + `$_ }")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'DECISION Deny nesting-good-'
        $r.Output | Should -Match "WARN Skipping GlobalNetworkPolicy '$deepName' in cluster 'admin' \(NestingTooDeep\): field 'spec\.selector'"
        $r.Output | Should -Not -Match 'ERRORID'
    }

    It 'Add-AlpNamespace still checks Envoy egress to istio-pilot and warns naming the object' {
        $r = Invoke-ModuleChild ("`$n = Add-AlpNamespace -Kubeconfig '$kc' -Context admin -Name $ns -WarningVariable wv -WarningAction SilentlyContinue; " +
            "'PILOT ' + `$n.PilotEgress; `$wv | ForEach-Object { 'WARN ' + `$_ }")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'PILOT Allowed'
        $r.Output | Should -Match "WARN Skipping GlobalNetworkPolicy '$deepName' in cluster 'admin' \(NestingTooDeep\): field 'spec\.selector'"
        $r.Output | Should -Not -Match 'ERRORID'
    }
}
