# Test-AlpRequest from the built module in pwsh: offline decisions, pipeline input, views, errors, access-log replay.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $policy = Join-Path $RepoRoot 'docs/examples/shop-policy.yaml'
    $dest = @{ DestinationNamespace = 'shop'; DestinationServiceAccount = 'api'; DestinationLabels = @{ app = 'api' }; DestinationPort = 8080 }
}

Describe 'Test-AlpRequest' {
    It 'allows the frontend GET and names the deciding policy and rule' {
        $d = Test-AlpRequest -PolicyPath $policy -SourceNamespace shop -SourceServiceAccount frontend -SourceIP 10.1.0.5 -Method GET -Path '/api/orders?page=2' @dest
        $d.PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.RequestDecision'
        "$($d.Decision)" | Should -Be 'Allow'
        "$($d.Status)" | Should -Be 'OK'
        $d.Policy | Should -Be 'shop/api-from-frontend'
        $d.RuleIndex | Should -Be 0
    }

    It 'decides a CSV-like stream bound by property name, with the segment-aligned path prefix' {
        $rows = @"
SourceNamespace,SourceServiceAccount,SourceIP,Method,Path
shop,frontend,10.1.0.5,GET,/api/orders
shop,frontend,10.1.0.5,DELETE,/api/orders
shop,frontend,10.1.0.5,GET,/apiary
web,crawler,10.2.0.9,GET,/api/orders
"@ | ConvertFrom-Csv
        $r = $rows | Test-AlpRequest -PolicyPath $policy @dest
        ($r | ForEach-Object { "$($_.Decision)" }) | Should -Be @('Allow', 'Deny', 'Deny', 'Deny')
        ($r | Format-Table | Out-String -Width 200) | Should -Match 'Decision\s+Status'
    }

    It 'answers INVALID_ARGUMENT for a path without a leading slash' {
        $d = Test-AlpRequest -PolicyPath $policy -SourceNamespace shop -SourceServiceAccount frontend -SourceIP 10.1.0.5 -Method GET -Path 'api/orders' @dest
        "$($d.Status)" | Should -Be 'INVALID_ARGUMENT'
    }

    It 'stops with a clear error naming the file and line of a bad selector' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        (Get-Content $policy -Raw) -replace "app == 'api'", "app = 'api'" | Set-Content $bad
        try { Test-AlpRequest -PolicyPath $bad -Method GET -Path / @dest -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidSelector,*'
        $err.Exception.Message | Should -Match ([regex]::Escape('bad.yaml'))
        $err.Exception.Message | Should -Match 'column'
    }

    It 'replays an Envoy access log into a summary and the denied requests' {
        # The frontend pod owns 10.1.0.5: the replay finds the source workload by IP in the policy files.
        $set = Join-Path $TestDrive 'set'
        New-Item -ItemType Directory -Path $set | Out-Null
        Copy-Item $policy $set
        @"
apiVersion: v1
kind: Pod
metadata: {name: frontend-1, namespace: shop, labels: {app: frontend}}
spec: {serviceAccountName: frontend, containers: [{name: app, image: nginx}]}
status: {podIP: 10.1.0.5}
"@ | Set-Content (Join-Path $set 'frontend-pod.yaml')
        $log = Join-Path $TestDrive 'access.log'
        @(
            '{"method":"GET","path":"/api/orders","downstream_remote_address":"10.1.0.5:40001","downstream_local_address":"10.3.0.7:8080","downstream_peer_uri_san":"spiffe://cluster.local/ns/shop/sa/frontend","response_code":200}'
            '{"method":"DELETE","path":"/api/orders","downstream_remote_address":"10.1.0.5:40002","downstream_local_address":"10.3.0.7:8080","downstream_peer_uri_san":"spiffe://cluster.local/ns/shop/sa/frontend","response_code":200}'
        ) | Set-Content $log
        $out = Test-AlpRequest -PolicyPath $set -AccessLogPath $log @dest
        $summary = $out[0]
        $summary.PSObject.TypeNames[0] | Should -Be 'CalicoAlp.Core.Results.ReplaySummary'
        $summary.Parsed | Should -Be 2
        $summary.Denied | Should -Be 1
        @($out).Count | Should -Be 2
        $out[1].Request.Method | Should -Be 'DELETE'
    }

    It 'offline use does not load KubernetesClient' {
        $script = "Import-Module '$ModulePath'; Test-AlpRequest -PolicyPath '$policy' -SourceNamespace shop -SourceServiceAccount frontend -Method GET -Path /api -DestinationNamespace shop -DestinationServiceAccount api -DestinationLabels @{ app = 'api' } -DestinationPort 8080 | Out-Null; " +
            "[AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -contains 'KubernetesClient'"
        (& dotnet pwsh -NoProfile -NonInteractive -Command $script | Select-Object -Last 1) | Should -Be 'False'
    }
}
