# Hostile input (issue 13). Each case runs the BUILT module in a CHILD pwsh, as a user would: the child must exit normally
# (no crash, no out-of-memory kill), report our error id, and finish within a generous bound. The bound only guards
# against hangs (a FIFO, /dev/zero and the alias bombs never finished before the limits); it is not a speed assertion.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')

    # Runs $Command after importing the module in a fresh pwsh; errors print as 'ERRORID <id>', 'CATEGORY <c>',
    # 'TARGET <t>' and 'MESSAGE <text>'; warnings as 'WARN <text>'. A child still running after $Seconds is killed.
    function Invoke-ModuleChild([string] $Command, [int] $Seconds = 300) {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$ModulePath'; " +
            "try { $Command } catch { 'ERRORID ' + `$_.FullyQualifiedErrorId; 'CATEGORY ' + `$_.CategoryInfo.Category; " +
            "'TARGET ' + `$_.TargetObject; 'MESSAGE ' + `$_.Exception.Message }"
        $psi = [Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in 'pwsh', '-NoProfile', '-NonInteractive', '-Command', $script) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $RepoRoot # `dotnet pwsh` is the repository's local tool
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $child = [Diagnostics.Process]::Start($psi)
        $stdout = $child.StandardOutput.ReadToEndAsync()
        $stderr = $child.StandardError.ReadToEndAsync()
        $exit = if ($child.WaitForExit($Seconds * 1000)) { $child.ExitCode } else { $child.Kill($true); $child.WaitForExit(); 'timeout' }
        [pscustomobject]@{ ExitCode = $exit; Output = $stdout.Result + $stderr.Result }
    }

    function New-BillionLaughs([string] $Path) {
        $lines = @("apiVersion: projectcalico.org/v3", "kind: GlobalNetworkPolicy", "metadata:", "  name: bomb", "  annotations:",
            "    a0: &a0 [x,x,x,x,x,x,x,x,x,x]")
        foreach ($i in 1..9) { $lines += "    a${i}: &a${i} [$((@("*a$($i - 1)") * 10) -join ',')]" }
        $lines += "spec:", "  selector: all()"
        ($lines -join "`n") + "`n" | Set-Content -NoNewline $Path
    }

    $request = '-SourceNamespace shop -SourceServiceAccount web -SourceIP 10.1.0.5 -DestinationNamespace shop ' +
        '-DestinationServiceAccount api -DestinationPort 8080 -Method GET -Path /'
    $gnp = "apiVersion: projectcalico.org/v3`nkind: GlobalNetworkPolicy`nmetadata:`n  name: {0}`nspec:`n  selector: all()`n  ingress:`n" +
        "  - action: Allow`n    protocol: TCP`n    source:`n      nets: [{1}]`n    destination:`n      ports: [{2}]`n"
    $good = Join-Path $TestDrive 'good.yaml'
    ($gnp -f 'good', "'10.0.0.0/8'", '8080') | Set-Content -NoNewline $good
}

Describe 'Hostile policy files for Test-AlpRequest -PolicyPath end in our error, in bounded time and memory' {
    It 'a billion-laughs alias bomb (10^10 nodes expanded, 1 KB on disk): YamlExpansionTooLarge with file:line' {
        $file = Join-Path $TestDrive 'bomb.yaml'
        New-BillionLaughs $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlExpansionTooLarge,CalicoAlp\.Cmdlets\.TestAlpRequestCommand'
        $r.Output | Should -Match 'CATEGORY InvalidData'
        $r.Output | Should -Match "TARGET .*bomb\.yaml:1[0-9]"
    }

    It 'an alias of a nested list used as a mapping key: YamlComplexKey' {
        $file = Join-Path $TestDrive 'keybomb.yaml'
        "a: &a [x,x,x,x,x,x,x,x,x]`nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]`nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]`nd:`n  ? *c`n  : 1`n" | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlComplexKey,'
        $r.Output | Should -Match 'keybomb\.yaml:5'
    }

    It '60,000 tiny documents: YamlTooManyDocuments' {
        $file = Join-Path $TestDrive 'docs.yaml'
        ("---`n{}`n" * 60000) | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlTooManyDocuments,'
    }

    It 'a file over the 16 MiB limit (sparse, 17 MiB): InputFileTooLarge naming the override variable' {
        $file = Join-Path $TestDrive 'huge.yaml'
        $fs = [IO.File]::Create($file); $fs.SetLength(17MB); $fs.Dispose()
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputFileTooLarge,'
        $r.Output | Should -Match 'larger than 16 MiB'
    }

    It 'a FIFO named x.yaml: InputNotRegularFile, without blocking' -Skip:$IsWindows {
        $fifo = Join-Path $TestDrive 'x.yaml'
        & mkfifo $fifo
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$fifo' $request" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
        $r.Output | Should -Match 'named pipe'
    }

    It '<Device>: InputNotRegularFile, without reading it' -Skip:$IsWindows -TestCases @(
        @{ Device = '/dev/zero' }, @{ Device = '/dev/urandom' }) {
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$Device' $request" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
        $r.Output | Should -Match 'character device'
    }

    It 'invalid UTF-8: InputNotUtf8 with the line' {
        $file = Join-Path $TestDrive 'latin1.yaml'
        [IO.File]::WriteAllBytes($file, [byte[]](0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0x76, 0x31, 0x0a, 0x23, 0x20, 0xe9, 0x0a))
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotUtf8,'
        $r.Output | Should -Match 'latin1\.yaml:2'
    }

    It '<Case>: PolicyFileInvalid naming file:line and the field' -TestCases @(
        @{ Case = 'CIDR /33'; Nets = "'10.0.0.0/33'"; Ports = '8080'; Field = 'spec\.ingress\[0\]\.source\.nets\[0\]'; Line = 11 }
        @{ Case = 'octal-looking CIDR'; Nets = "'010.0.0.5/32'"; Ports = '8080'; Field = 'source\.nets\[0\]'; Line = 11 }
        @{ Case = 'two-part IPv4'; Nets = "'10.1/16'"; Ports = '8080'; Field = 'source\.nets\[0\]'; Line = 11 }
        @{ Case = 'IPv6 zone'; Nets = "'fe80::1%eth0'"; Ports = '8080'; Field = 'source\.nets\[0\]'; Line = 11 }
        @{ Case = 'port -1'; Nets = "'10.0.0.0/8'"; Ports = '-1'; Field = 'destination\.ports\[0\]'; Line = 13 }
        @{ Case = 'port 99999999999'; Nets = "'10.0.0.0/8'"; Ports = '99999999999'; Field = 'destination\.ports\[0\]'; Line = 13 }
        @{ Case = 'port 0x50'; Nets = "'10.0.0.0/8'"; Ports = '0x50'; Field = 'destination\.ports\[0\]'; Line = 13 }
        @{ Case = 'range 90:80'; Nets = "'10.0.0.0/8'"; Ports = "'90:80'"; Field = 'destination\.ports\[0\]'; Line = 13 }
    ) {
        $file = Join-Path $TestDrive 'invalid.yaml'
        ($gnp -f 'p', $Nets, $Ports) | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID PolicyFileInvalid,'
        $r.Output | Should -Match "invalid\.yaml:$($Line): document 1: field '[^']*$Field"
    }

    It 'protocol -6: PolicyFileInvalid' {
        $file = Join-Path $TestDrive 'proto.yaml'
        ($gnp -f 'p', "'10.0.0.0/8'", '8080').Replace('protocol: TCP', "protocol: '-6'") | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$file' $request"
        $r.Output | Should -Match 'ERRORID PolicyFileInvalid,'
        $r.Output | Should -Match "field 'spec\.ingress\[0\]\.protocol'"
    }

    It 'two policies of one name in two files: DuplicatePolicyName naming both' {
        $other = Join-Path $TestDrive 'again.yaml'
        ($gnp -f 'good', "'10.0.0.0/8'", '8080') | Set-Content -NoNewline $other
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$good','$other' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID DuplicatePolicyName,'
        $r.Output | Should -Match "again\.yaml:1: GlobalNetworkPolicy 'good' is defined twice \(first at .*good\.yaml:1\)"
    }

    It 'an empty file warns and the request is still answered' {
        $empty = Join-Path $TestDrive 'empty.yaml'
        "# nothing yet`n" | Set-Content -NoNewline $empty
        $r = Invoke-ModuleChild ("`$d = Test-AlpRequest -PolicyPath '$good','$empty' $request -WarningVariable wv -WarningAction SilentlyContinue; " +
            "'DECISION ' + `$d.Decision; `$wv | ForEach-Object { 'WARN ' + `$_ }")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'DECISION Allow'
        $r.Output | Should -Match 'WARN .*empty\.yaml: the file holds no objects'
        $r.Output | Should -Not -Match 'ERRORID'
    }
}

Describe 'Compare-AlpPolicy and access logs refuse hostile input the same way' {
    It 'Compare-AlpPolicy -DifferencePolicyPath with an alias bomb: YamlExpansionTooLarge, naming the side' {
        $file = Join-Path $TestDrive 'bomb2.yaml'
        New-BillionLaughs $file
        $r = Invoke-ModuleChild "Compare-AlpPolicy -DifferencePolicyPath '$file' -ReferencePolicyPath '$good' $request"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlExpansionTooLarge,CalicoAlp\.Cmdlets\.CompareAlpPolicyCommand'
        $r.Output | Should -Match 'MESSAGE Difference policy set: .*bomb2\.yaml'
    }

    It 'Test-AlpRequest -AccessLogPath /dev/zero: InputNotRegularFile before anything is read' -Skip:$IsWindows {
        $r = Invoke-ModuleChild "Test-AlpRequest -PolicyPath '$good' -AccessLogPath /dev/zero -DestinationNamespace shop -DestinationServiceAccount api" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
    }

    It 'an access log of one 8 MiB line: one bad line (AccessLogLineInvalid), the replay goes on' {
        $log = Join-Path $TestDrive 'endless.log'
        ('x' * 8MB) + "`n" | Set-Content -NoNewline $log
        $r = Invoke-ModuleChild ("`$s = Test-AlpRequest -PolicyPath '$good' -AccessLogPath '$log' -DestinationNamespace shop -DestinationServiceAccount api " +
            "-SummaryOnly -ErrorVariable ev -ErrorAction SilentlyContinue; 'LINES ' + `$s.Lines + ' ERRORS ' + `$s.Errors; `$ev | ForEach-Object { 'LINEERROR ' + `$_ }")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'LINES 1 ERRORS 1'
        $r.Output | Should -Match 'LINEERROR .*longer than 1024 KiB'
    }
}

Describe 'Hostile injector files for Set-IstioInjectorPatch -Path end in our error' {
    It 'a FIFO named configmap.yaml: InputNotRegularFile, without blocking' -Skip:$IsWindows {
        $fifo = Join-Path $TestDrive 'configmap.yaml'
        & mkfifo $fifo
        $r = Invoke-ModuleChild "Set-IstioInjectorPatch -Path '$fifo' -CalicoVersion 3.25.2 -OutFile '$TestDrive/out.yaml'" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,CalicoAlp\.Cmdlets\.SetIstioInjectorPatchCommand'
        Test-Path "$TestDrive/out.yaml" | Should -BeFalse
    }

    It '/dev/zero: InputNotRegularFile, without reading it' -Skip:$IsWindows {
        $r = Invoke-ModuleChild "Set-IstioInjectorPatch -Path /dev/zero -CalicoVersion 3.25.2 -OutFile '$TestDrive/out0.yaml'" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
    }

    It 'invalid UTF-8 in the ConfigMap: InputNotUtf8 with the line (not silently replaced by U+FFFD)' {
        $file = Join-Path $TestDrive 'cm-latin1.yaml'
        [IO.File]::WriteAllBytes($file, [byte[]](0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0x43, 0x6f, 0x6e, 0x66, 0x69, 0x67, 0x4d, 0x61, 0x70, 0x0a, 0x23, 0x20, 0xe9, 0x0a))
        $r = Invoke-ModuleChild "Set-IstioInjectorPatch -Path '$file' -CalicoVersion 3.25.2 -OutFile '$TestDrive/out1.yaml'"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotUtf8,'
        $r.Output | Should -Match 'cm-latin1\.yaml:2'
    }

    It 'an alias-bomb ConfigMap: YamlExpansionTooLarge' {
        $file = Join-Path $TestDrive 'cm-bomb.yaml'
        $lines = @('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: istio-sidecar-injector', '  annotations:', '    a0: &a0 [x,x,x,x,x,x,x,x,x,x]')
        foreach ($i in 1..9) { $lines += "    a${i}: &a${i} [$((@("*a$($i - 1)") * 10) -join ',')]" }
        $lines += 'data:', '  config: |', '    policy: enabled'
        ($lines -join "`n") + "`n" | Set-Content -NoNewline $file
        $r = Invoke-ModuleChild "Set-IstioInjectorPatch -Path '$file' -CalicoVersion 3.25.2 -OutFile '$TestDrive/out2.yaml'"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlExpansionTooLarge,'
    }
}

Describe 'Ctrl+C while policy files load' {
    It 'StopProcessing stops Test-AlpRequest while it reads a large policy file' {
        # 30,000 policies (about 6 MB, well inside the limits): reading and building them takes seconds; Stop() is
        # called once the cmdlet has said it is loading the file. The child reports how the invocation ended.
        $file = Join-Path $TestDrive 'large.yaml'
        $sb = [Text.StringBuilder]::new("apiVersion: v1`nkind: List`nitems:`n")
        foreach ($i in 0..29999) {
            [void]$sb.Append("- apiVersion: projectcalico.org/v3`n  kind: GlobalNetworkPolicy`n  metadata:`n    name: p$i`n  spec:`n    selector: app == 'a$i'`n" +
                "    ingress:`n    - action: Allow`n      protocol: TCP`n      source:`n        nets: [10.$($i % 250).0.0/16]`n")
        }
        $sb.ToString() | Set-Content -NoNewline $file
        $child = @"
`$ps = [PowerShell]::Create()
[void]`$ps.AddScript("Import-Module '$ModulePath'; Test-AlpRequest -PolicyPath '$file' $request -Verbose")
`$loading = [Threading.ManualResetEventSlim]::new(`$false)
`$ps.Streams.Verbose.add_DataAdded({ param(`$s, `$e) if (`$s[`$e.Index].Message -like 'Loading policy from*') { `$loading.Set() } }.GetNewClosure())
`$async = `$ps.BeginInvoke()
if (-not `$loading.Wait(120000)) { 'NEVER-LOADING' }
`$ps.Stop()
try { [void]`$ps.EndInvoke(`$async); 'ENDED ' + `$ps.InvocationStateInfo.State } catch { 'ENDED ' + `$_.Exception.InnerException.GetType().Name + ' ' + `$ps.InvocationStateInfo.State }
"@
        $r = Invoke-ModuleChild $child 300
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Not -Match 'NEVER-LOADING'
        $r.Output | Should -Match 'ENDED .*Stopped'
    }
}

Describe 'Hostile kubeconfigs' {
    BeforeAll {
        $kcRequest = '-SourceNamespace shop -SourceIP 10.1.0.5 -DestinationNamespace shop -DestinationPort 8080 -Method GET -Path /'
    }

    It 'an alias-bomb kubeconfig: YamlExpansionTooLarge' {
        $kc = Join-Path $TestDrive 'bomb-kubeconfig'
        New-BillionLaughs $kc
        $r = Invoke-ModuleChild "Test-AlpRequest -Kubeconfig '$kc' $kcRequest"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID YamlExpansionTooLarge,'
    }

    It 'a FIFO as kubeconfig: InputNotRegularFile, without blocking' -Skip:$IsWindows {
        $fifo = Join-Path $TestDrive 'kubeconfig-fifo'
        & mkfifo $fifo
        $r = Invoke-ModuleChild "Test-AlpRequest -Kubeconfig '$fifo' $kcRequest" 120
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
    }

    It 'a folder as kubeconfig is named as a folder, not as missing' {
        $r = Invoke-ModuleChild "Test-AlpRequest -Kubeconfig '$TestDrive' $kcRequest"
        $r.Output | Should -Match 'ERRORID InputNotRegularFile,'
        $r.Output | Should -Match 'is a folder'
    }

    It 'an empty kubeconfig: KubeconfigInvalid (was a NullReferenceException)' {
        $kc = Join-Path $TestDrive 'empty-kubeconfig'
        '' | Set-Content -NoNewline $kc
        $r = Invoke-ModuleChild "Test-AlpRequest -Kubeconfig '$kc' $kcRequest"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'ERRORID KubeconfigInvalid,'
        $r.Output | Should -Match 'CATEGORY InvalidData'
    }
}

Describe 'No secret in any stream or error, against the real API server' -Tag Cluster {
    BeforeAll {
        $state = Get-TestClusterState
        $adminText = Get-Content -Raw (Join-Path $state 'kubeconfig')
        $server = [regex]::Match($adminText, 'server: (\S+)').Groups[1].Value
        $ca = [regex]::Match($adminText, 'certificate-authority-data: (\S+)').Groups[1].Value
        $adminToken = [regex]::Match($adminText, 'token: (\S+)').Groups[1].Value
        $sentinel = 'SENTINEL' + [guid]::NewGuid().ToString('N')
        # A "key" that is the sentinel itself: it must never be echoed, not even as part of a PEM error.
        $keyData = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes("-----BEGIN PRIVATE KEY-----`n$sentinel`n-----END PRIVATE KEY-----`n"))
        $otherCa = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes(
            (New-Object Security.Cryptography.X509Certificates.CertificateRequest('CN=not-the-cluster-ca',
                [Security.Cryptography.ECDsa]::Create(), 'SHA256')).CreateSelfSigned([DateTimeOffset]::Now.AddDays(-1), [DateTimeOffset]::Now.AddDays(1)).ExportCertificatePem()))
        function New-SentinelKubeconfig([string] $Name, [string] $Cluster, [string] $User) {
            $path = Join-Path $TestDrive "$Name.kubeconfig"
            @"
apiVersion: v1
kind: Config
current-context: $Name
clusters:
- name: k
  cluster: $Cluster
users:
- name: u
  user: $User
contexts:
- name: $Name
  context: {cluster: k, user: u}
"@ | Set-Content $path
            $path
        }
        $verified = "{server: '$server', certificate-authority-data: $ca}"
        $script:cases = @(
            @{ Case = 'bad token (401)'; Id = 'Kube'; Kc = (New-SentinelKubeconfig 'badtoken' $verified "{token: $sentinel}") }
            @{ Case = 'bad password (401)'; Id = 'Kube'; Kc = (New-SentinelKubeconfig 'badpassword' $verified "{username: alice, password: $sentinel}") }
            @{ Case = 'bad client key'; Id = 'KubeClientCertificateInvalid'; Kc = (New-SentinelKubeconfig 'badkey' $verified "{client-certificate-data: $keyData, client-key-data: $keyData}") }
            @{ Case = 'wrong CA'; Id = 'ApiServerCertificateInvalid'; Kc = (New-SentinelKubeconfig 'wrongca' "{server: '$server', certificate-authority-data: $otherCa}" "{token: $sentinel}") }
            @{ Case = 'unreachable'; Id = 'ApiServerUnreachable'; Kc = (New-SentinelKubeconfig 'unreachable' "{server: 'https://127.0.0.1:1', certificate-authority-data: $ca}" "{token: $sentinel}") }
            @{ Case = 'exec plugin fails'; Id = 'KubeExecCredentialFailed'; Kc = (New-SentinelKubeconfig 'execfails' $verified "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: 'false', args: ['$sentinel'], env: [{name: TOKEN, value: '$sentinel'}], interactiveMode: Never}}") }
            @{ Case = 'token with a line break'; Id = 'KubeCredentialInvalid'; Kc = (New-SentinelKubeconfig 'newline' $verified "{token: `"$sentinel\nx`"}") }
            @{ Case = 'insecure-skip-tls-verify'; Id = 'Kube'; Kc = (New-SentinelKubeconfig 'insecure' "{server: '$server', insecure-skip-tls-verify: true}" "{token: $sentinel}") }
        )
        # Everything a user could see: all six streams, the error records as PowerShell prints them, $Error in full.
        function Invoke-Leaky([string] $Kubeconfig, [string] $Secret) {
            # -WarningAction Continue: with -Debug a compiled cmdlet would otherwise ask (Inquire) before each warning.
            $cmd = "`$all = & { try { Test-AlpRequest -Kubeconfig '$Kubeconfig' $kcRequest -Verbose -Debug -InformationAction Continue -WarningAction Continue " +
                "-ErrorAction Continue *>&1 } catch { 'CAUGHT ' + `$_.FullyQualifiedErrorId } } | Out-String -Width 500; " +
                "`$all; `$Error | ForEach-Object { `$_ | Format-List * -Force | Out-String -Width 500; `$_.Exception.ToString(); `$_.ErrorDetails.RecommendedAction }; " +
                "`$Error | ForEach-Object { 'ERRORID ' + `$_.FullyQualifiedErrorId }"
            Invoke-ModuleChild $cmd 240
        }
        $kcRequest = '-SourceNamespace shop -SourceIP 10.1.0.5 -DestinationNamespace shop -DestinationPort 8080 -Method GET -Path /'
    }

    AfterAll { Stop-OwnedTestCluster }

    It 'no stream and no error record holds the sentinel: <Case>' -TestCases @(
        @{ Index = 0; Case = 'bad token (401)' }, @{ Index = 1; Case = 'bad password (401)' }, @{ Index = 2; Case = 'bad client key' },
        @{ Index = 3; Case = 'wrong CA' }, @{ Index = 4; Case = 'unreachable' }, @{ Index = 5; Case = 'exec plugin fails' },
        @{ Index = 6; Case = 'token with a line break' }, @{ Index = 7; Case = 'insecure-skip-tls-verify' }) {
        $c = $script:cases[$Index]
        $r = Invoke-Leaky $c.Kc $sentinel
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match "ERRORID $($c.Id)" -Because "$($c.Case): $($r.Output)"
        $r.Output.Contains($sentinel) | Should -BeFalse -Because "$($c.Case) leaked the sentinel"
    }

    It 'insecure-skip-tls-verify warns once, naming the context' {
        $r = Invoke-Leaky $script:cases[7].Kc $sentinel
        ([regex]::Matches($r.Output, "TLS verification of the API server is turned off for context 'insecure'")).Count | Should -Be 1 -Because $r.Output
    }

    It 'a wrong CA is not retried and tells what to check' {
        $r = Invoke-Leaky $script:cases[3].Kc $sentinel
        $r.Output | Should -Match 'could not be verified'
        $r.Output | Should -Match 'certificate-authority'
        $r.Output | Should -Not -Match 'retry 1/'
    }

    It 'a successful run with -Verbose -Debug does not show the real token' {
        $r = Invoke-Leaky (Join-Path $state 'kubeconfig') $adminToken
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Decision'
        $r.Output | Should -Match "Using context 'admin'" # the Verbose stream was captured
        $r.Output.Contains($adminToken) | Should -BeFalse
    }
}
