# Compare-AlpPolicy from the built module in pwsh: an access log compared under two policy sets, piped requests,
# staged promotion, identical sets, errors, views, the replay's rule hits, and the cluster as the reference.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $reference = Join-Path $RepoRoot 'tools/replay-policy.yaml'
    $difference = Join-Path $RepoRoot 'tools/bench/compare-difference-policy.yaml'
    $dest = @{ DestinationNamespace = 'web'; DestinationServiceAccount = 'api'; DestinationLabels = @{ app = 'api' } }
    function Get-Line([string] $Method, [string] $Path, [string] $Source, [int] $Port = 8080) {
        '{"method":"' + $Method + '","path":"' + $Path + '","protocol":"HTTP/1.1","response_code":200,"downstream_local_address":"10.2.0.7:' + $Port + '","downstream_remote_address":"' + $Source + ':40000"}'
    }
    # Lines 1-6 under tools/replay-policy.yaml -> tools/bench/compare-difference-policy.yaml:
    # 1 10.1.0.10:8080 allowed by the /24 rule both times (rule 2 -> rule 3: other rule)
    # 2 10.1.0.40:8080 newly denied by the new 10.1.0.32/27 rule
    # 3 10.1.1.7:8080 newly allowed by the widened /23 rule
    # 4 a bad line
    # 5 10.1.2.7:8080 denied both times (end of tier): unchanged
    # 6 10.1.0.33:9090 denied before (port), denied now by the /27 rule: other rule
    $log = Join-Path $TestDrive 'access.json'
    @(
        (Get-Line GET /v1/items 10.1.0.10), (Get-Line GET /admin 10.1.0.40), (Get-Line PUT /healthz 10.1.1.7),
        '{"method":"GET","path":', (Get-Line GET /v1/items 10.1.2.7), (Get-Line GET /v1/items 10.1.0.33 9090)
    ) | Set-Content -LiteralPath $log
}

Describe 'Compare-AlpPolicy' {
    It 'reports exactly the lines whose decision changes, both ways, with both decisions and the log position' {
        $r = @(Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference -AccessLogPath $log @dest -ErrorVariable errs -ErrorAction SilentlyContinue)
        $s = $r[0]
        $s.PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.ComparisonSummary'
        $s.Lines | Should -Be 6
        $s.Errors | Should -Be 1
        $s.NewlyDenied | Should -Be 1
        $s.NewlyAllowed | Should -Be 1
        $s.OtherRule | Should -Be 2
        $s.Unchanged | Should -Be 1
        $s.IdenticalSets | Should -BeFalse
        $changes = @($r | Select-Object -Skip 1)
        ($changes | ForEach-Object { "$($_.Change):$($_.LogLine)" }) | Should -Be @('NewlyDenied:2', 'NewlyAllowed:3')
        $changes[0].LogFile | Should -Be $log
        "$($changes[0].SourceIP)" | Should -Be '10.1.0.40'
        $changes[0].Method | Should -Be 'GET'
        $changes[0].Path | Should -Be '/admin'
        $changes[0].DestinationPort | Should -Be 8080
        "$($changes[0].Reference.Decision)/$($changes[0].Reference.Tier)/$($changes[0].Reference.Policy)/$($changes[0].Reference.RuleIndex)" | Should -Be 'Allow/default/web/api/2'
        "$($changes[0].Difference.Decision)/$($changes[0].Difference.Policy)/$($changes[0].Difference.RuleIndex)" | Should -Be 'Deny/web/api/1'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'AccessLogLineInvalid,*'
        "$($errs[0].TargetObject)" | Should -Be "${log}:4"
    }

    It 'lists rule hits and the rules of the difference set no line matched' {
        $s = Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference -AccessLogPath $log @dest -SummaryOnly -ErrorAction SilentlyContinue
        @($s).Count | Should -Be 1
        ($s.RuleHits | ForEach-Object { $_.ToString() }) | Should -Be @('policy web/api ingress[1] Deny: 2', 'policy web/api ingress[3] Allow: 2')
        ($s.UnusedRules | ForEach-Object { $_.Rule }) | Should -Be @('policy web/api ingress[0]', 'policy web/api ingress[2]')
        ($s | Format-List | Out-String -Width 200) | Should -Match 'UnusedRules\s+:\s+policy web/api ingress\[0\] Allow'
    }

    It 'outputs the unchanged requests too with -IncludeUnchanged, in log order' {
        $r = @(Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference -AccessLogPath $log @dest -IncludeUnchanged -ErrorAction SilentlyContinue)
        ($r | Select-Object -Skip 1 | ForEach-Object { "$($_.Change):$($_.LogLine)" }) | Should -Be @('OtherRule:1', 'NewlyDenied:2', 'NewlyAllowed:3', 'Unchanged:5', 'OtherRule:6')
        ($r | Select-Object -Skip 1 | Format-Table | Out-String -Width 200) | Should -Match 'NewlyDenied\s+10\.1\.0\.40\s+GET\s+/admin\s+8080 Allow web/api\[2\]\s+Deny web/api\[1\]\s+access\.json:2'
    }

    It 'compares piped request objects instead of a log' {
        $rows = @"
SourceIP,Method,Path,DestinationPort
10.1.0.40,GET,/admin,8080
10.1.1.7,PUT,/healthz,8080
10.1.2.7,GET,/,8080
"@ | ConvertFrom-Csv
        $r = @($rows | Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference @dest)
        $r[0].Lines | Should -Be 3
        ($r | Select-Object -Skip 1 | ForEach-Object { "$($_.Change)" }) | Should -Be @('NewlyDenied', 'NewlyAllowed')
        $r[1].LogLine | Should -BeNullOrEmpty
    }

    It 'reads piped objects itself as Test-AlpRequest does: any case, the command line wins, bad objects are counted errors' {
        $rows = @(
            [pscustomobject]@{ sourceip = '10.1.0.40'; METHOD = 'GET'; path = '/admin'; destinationport = '8080' }
            # DestinationNamespace is given on the command line (@dest): the property is not read.
            [pscustomobject]@{ SourceIP = '10.1.1.7'; Method = 'PUT'; Path = '/healthz'; DestinationPort = 8080; DestinationNamespace = 'elsewhere' }
            'just a string'
            [pscustomobject]@{ SourceIP = '10.1.0.40'; DestinationPort = 70000 }
            # Test-AlpRequest's own properties are not Compare-AlpPolicy's: not read, not validated.
            [pscustomobject]@{ SourceIP = '10.1.2.7'; Method = 'GET'; Path = '/'; DestinationPort = 8080; Source = 'Not A Pod'; PolicyPath = 'nope.yaml'; CalicoVersion = 'x' }
        )
        $r = @($rows | Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference @dest -IncludeUnchanged -ErrorVariable errs -ErrorAction SilentlyContinue)
        $r[0].Lines | Should -Be 5
        $r[0].Errors | Should -Be 2
        ($r | Select-Object -Skip 1 | ForEach-Object { "$($_.Change)" }) | Should -Be @('NewlyDenied', 'NewlyAllowed', 'Unchanged')
        $r[2].Request.DestinationWorkload.Namespace | Should -Be 'web'
        ($errs | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] }) | Should -Be @('InputObjectNotRequest', 'InputObjectPropertyInvalid')
        "$($errs[0])" | Should -Match 'Compare-AlpPolicy request parameter'
        # PowerShell binds only -InputObject per piped object (no lookup of the request parameters by property name).
        $trace = Join-Path $TestDrive 'binding.txt'
        Trace-Command -Name ParameterBinding -FilePath $trace -Expression {
            $rows[0] | Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $difference @dest -SummaryOnly
        } | Out-Null
        $text = Get-Content -LiteralPath $trace -Raw
        $text | Should -Match 'to parameter \[InputObject\]'
        $text | Should -Not -Match 'to parameter \[(SourceIP|Method|Path)\]'
    }

    It 'warns and flags identical sets' {
        $copy = Join-Path $TestDrive 'copy.yaml'
        Copy-Item $reference $copy
        $s = Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $copy -AccessLogPath $log @dest -SummaryOnly -WarningVariable w -WarningAction SilentlyContinue -ErrorAction SilentlyContinue
        $s.IdenticalSets | Should -BeTrue
        $s.Unchanged | Should -Be 5
        "$w" | Should -Match 'identical'
    }

    It 'previews a staged policy as if promoted with -PromoteStaged' {
        $staged = Join-Path $TestDrive 'staged.yaml'
        @'
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {nets: [10.1.2.0/24]}
'@ | Set-Content $staged
        $plain = Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $reference, $staged -AccessLogPath $log @dest -SummaryOnly -ErrorAction SilentlyContinue
        $plain.Unchanged | Should -Be 5
        $r = @(Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $reference, $staged -PromoteStaged -AccessLogPath $log @dest -ErrorAction SilentlyContinue)
        $r[0].PromotedStaged | Should -Be 1
        ($r | Select-Object -Skip 1 | ForEach-Object { "$($_.Change):$($_.LogLine)" }) | Should -Be @('NewlyDenied:1', 'NewlyDenied:2', 'NewlyAllowed:5')
    }

    It 'stops on a bad policy file with an error naming the set, the file, the line and the field' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        (Get-Content $difference -Raw) -replace '  ingress:', "  types: [Sideways]`n  ingress:" | Set-Content $bad
        try { Compare-AlpPolicy -ReferencePolicyPath $reference -DifferencePolicyPath $bad -AccessLogPath $log @dest -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'PolicyFileInvalid,*'
        $err.Exception.Message | Should -Match ('^Difference policy set: ' + [regex]::Escape($bad) + ':\d+: .*spec\.types\[0\]')
        try { Compare-AlpPolicy -ReferencePolicyPath $bad -DifferencePolicyPath $difference -AccessLogPath $log @dest -ErrorAction Stop } catch { $err2 = $_ }
        $err2.Exception.Message | Should -Match '^Reference policy set: '
    }

    It 'gives Test-AlpRequest -AccessLogPath the same rule hits' {
        $s = Test-AlpRequest -PolicyPath $reference -AccessLogPath $log @dest -SummaryOnly -ErrorAction SilentlyContinue
        ($s.RuleHits | ForEach-Object { $_.ToString() }) | Should -Be @('policy web/api ingress[2] Allow: 2')
        ($s | Format-List | Out-String -Width 200) | Should -Match 'RuleHits\s+:\s+policy web/api ingress\[2\] Allow: 2'
    }
}

Describe 'Compare-AlpPolicy with the cluster as the reference' -Tag Cluster {
    BeforeAll {
        $state = Get-TestClusterState
        $kubeconfig = Join-Path $state 'kubeconfig'
        $ns = 'pcmp' + ([guid]::NewGuid().ToString('N').Substring(0, 6))
        $yaml = @"
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
"@
        $yaml | & kubectl --kubeconfig $kubeconfig --context admin apply -f - | Out-Null
        $proposed = Join-Path $TestDrive 'proposed.yaml'
        @"
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: $ns}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    source: {nets: [10.1.0.0/27]}
"@ | Set-Content $proposed
    }
    AfterAll {
        Invoke-TestKubectl delete namespace $ns --wait=false | Out-Null
        Stop-OwnedTestCluster
    }

    It 'reads the reference from the cluster and compares the log against the proposed files' {
        $r = @(Compare-AlpPolicy -Kubeconfig $kubeconfig -Context admin -DifferencePolicyPath $proposed -AccessLogPath $log -DestinationNamespace $ns -DestinationLabels @{ app = 'api' } -ErrorAction SilentlyContinue)
        $r[0].ReferenceSource | Should -Be "cluster 'admin'"
        $r[0].Errors | Should -Be 1
        # 10.1.0.10 stays allowed; 10.1.0.40 and 10.1.0.33 leave the /27 (.33 is on port 9090: the policy has no port).
        ($r | Select-Object -Skip 1 | ForEach-Object { "$($_.Change):$($_.LogLine)" }) | Should -Be @('NewlyDenied:2', 'NewlyDenied:6')
        $r[1].Reference.Policy | Should -Be "$ns/api"
    }
}
