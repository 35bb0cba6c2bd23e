<#
.SYNOPSIS
    Measures Get-AlpStatus at scale against the real local API server: wall time and API calls with 5, 50 and all
    500 namespaces (10,000 pods) labelled for injection.
.DESCRIPTION
    Uses the population of Measure-NamespaceScale.ps1 (namespaces scale-0000.. labelled calicoalp-scale=1, 20 pods
    each, half of them with istio-proxy and dikastes; created by it when missing), labels the first N of them
    istio-injection=enabled, runs Get-AlpStatus -Verbose and counts the requests it made (every request is logged in
    the verbose stream). The number of LIST calls must not grow with N. Labels are removed afterwards.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Status
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Kubeconfig,
    [Parameter(Mandatory)] [string] $ModulePath,
    [int[]] $Labelled = @(5, 50, 500),
    [int] $Runs = 3
)
$ErrorActionPreference = 'Stop'
function kc { & kubectl --kubeconfig $Kubeconfig --context admin @args; if ($LASTEXITCODE -ne 0) { throw "kubectl $args failed" } }

$ModulePath = (Resolve-Path $ModulePath).Path
$total = ($Labelled | Measure-Object -Maximum).Maximum
$have = @(kc get namespaces -l calicoalp-scale=1 -o name | Where-Object { $_ }).Count
if ($have -lt $total) {
    & (Join-Path $PSScriptRoot 'Measure-NamespaceScale.ps1') -Kubeconfig $Kubeconfig -ModulePath $ModulePath -Namespaces $total
}
$names = @(kc get namespaces -l calicoalp-scale=1 -o 'jsonpath={.items[*].metadata.name}') -split ' ' | Where-Object { $_ } | Sort-Object
Import-Module $ModulePath

$rows = foreach ($n in $Labelled) {
    kc label ns -l calicoalp-scale=1 istio-injection- | Out-Null
    $chosen = $names | Select-Object -First $n
    for ($i = 0; $i -lt $chosen.Count; $i += 100) { kc label ns @($chosen[$i..([math]::Min($i + 99, $chosen.Count - 1))]) istio-injection=enabled --overwrite | Out-Null }
    $times = @()
    $calls = $null; $lists = $null; $workloads = ''
    for ($r = 0; $r -lt $Runs; $r++) {
        $verbose = [Collections.Generic.List[string]]::new()
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $results = Get-AlpStatus -Kubeconfig $Kubeconfig -Context admin -Verbose 4>&1 |
            ForEach-Object { if ($_ -is [System.Management.Automation.VerboseRecord]) { $verbose.Add($_.Message) } else { $_ } }
        $sw.Stop()
        $times += $sw.Elapsed.TotalSeconds
        $requests = @($verbose | Where-Object { $_ -match '^(GET|PATCH|PUT|POST|DELETE) /' })
        $calls = $requests.Count
        # A LIST is a GET of a collection (no object name after the resource); continue pages count as calls too.
        $lists = @($requests | Where-Object { $_ -match '^GET /(api/v1|apis/[^/]+/[^/]+)(/namespaces/[^/]+)?/[a-z]+(\?| |$)' }).Count
        $workloads = ($results | Where-Object Check -eq 'Workloads.Sidecars').Message
    }
    [pscustomobject]@{
        Labelled   = $n
        'Median s' = [math]::Round(($times | Sort-Object)[[int][math]::Floor($times.Count / 2)], 2)
        'Min s'    = [math]::Round(($times | Measure-Object -Minimum).Minimum, 2)
        ApiCalls   = $calls
        ListCalls  = $lists
        Workloads  = if ($workloads.Length -gt 90) { $workloads.Substring(0, 90) + '...' } else { $workloads }
    }
}
kc label ns -l calicoalp-scale=1 istio-injection- | Out-Null
$rows | Format-Table -AutoSize | Out-String -Width 220 | Write-Host
