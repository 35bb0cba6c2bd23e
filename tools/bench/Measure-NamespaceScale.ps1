<#
.SYNOPSIS
    Measures Add-AlpNamespace at scale against the real local API server: N namespaces with M pods each.
.DESCRIPTION
    Creates (once per cluster) namespaces labelled calicoalp-scale=1, each with a Deployment, its ReplicaSet and
    M pods owned by it (half of them with istio-proxy and dikastes), then times:
      1. Add-AlpNamespace -All -Selector calicoalp-scale=1   (labels every namespace, one cluster-wide pod LIST)
      2. the same again                                      (every namespace Unchanged: no writes)
      3. Add-AlpNamespace -All -Selector ... -Restart -WhatIf (planning the restarts)
    and 'label all' twice more in the same process (warm: the .NET JIT has compiled the paths), and prints the wall
    time of each timed call (made without -Verbose, as an admin runs it), the API calls made (counted in a second,
    identical call with -Verbose: all, LISTs, single-object GETs, PATCHes) and the load average before it. -NoSetup measures an existing cluster (the other module of a before/after run).
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Namespaces
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Kubeconfig,
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Namespaces = 500,
    [int] $PodsPerNamespace = 20,
    # A title for the table (e.g. 'before', 'after').
    [string] $Label = 'this build'
)
$ErrorActionPreference = 'Stop'

function kc { & kubectl --kubeconfig $Kubeconfig --context admin @args; if ($LASTEXITCODE -ne 0) { throw "kubectl $args failed" } }

$ModulePath = (Resolve-Path $ModulePath).Path
$existingPods = (kc get pods -A -l app=web -o name | Where-Object { $_ } | Measure-Object).Count
if ($existingPods -lt $Namespaces * $PodsPerNamespace) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $tmp = New-Item -ItemType Directory -Force -Path (Join-Path ([IO.Path]::GetTempPath()) "calicoalp-scale-$PID")
    $hash = '5c9d7b8f6'
    # 1. namespaces, deployments, replicasets (uids needed for the owner references)
    $docs = [Collections.Generic.List[string]]::new()
    for ($i = 0; $i -lt $Namespaces; $i++) {
        $ns = 'scale-{0:d4}' -f $i
        $docs.Add("apiVersion: v1`nkind: Namespace`nmetadata: {name: $ns, labels: {calicoalp-scale: '1'}}")
        $docs.Add("apiVersion: apps/v1`nkind: Deployment`nmetadata: {name: web, namespace: $ns}`nspec:`n  replicas: $PodsPerNamespace`n  selector: {matchLabels: {app: web}}`n  template:`n    metadata: {labels: {app: web}}`n    spec: {containers: [{name: app, image: 'nginx:1.19'}]}")
    }
    Set-Content (Join-Path $tmp 'ns.yaml') ($docs -join "`n---`n")
    kc apply -f (Join-Path $tmp 'ns.yaml') | Out-Null
    $deployUids = @{}
    (kc get deployments -A -l '!none' -o json | ConvertFrom-Json).items | ForEach-Object { $deployUids[$_.metadata.namespace] = $_.metadata.uid }
    $docs.Clear()
    foreach ($ns in $deployUids.Keys) {
        $docs.Add("apiVersion: apps/v1`nkind: ReplicaSet`nmetadata:`n  name: web-$hash`n  namespace: $ns`n  labels: {app: web, pod-template-hash: '$hash'}`n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: '$($deployUids[$ns])', controller: true}]`nspec:`n  replicas: $PodsPerNamespace`n  selector: {matchLabels: {app: web, pod-template-hash: '$hash'}}`n  template:`n    metadata: {labels: {app: web, pod-template-hash: '$hash'}}`n    spec: {containers: [{name: app, image: 'nginx:1.19'}]}")
    }
    Set-Content (Join-Path $tmp 'rs.yaml') ($docs -join "`n---`n")
    kc apply -f (Join-Path $tmp 'rs.yaml') | Out-Null
    $rsUids = @{}
    (kc get replicasets -A -o json | ConvertFrom-Json).items | Where-Object { $_.metadata.namespace -like 'scale-*' } | ForEach-Object { $rsUids[$_.metadata.namespace] = $_.metadata.uid }
    # 2. pods, in files of 1000
    $docs.Clear(); $file = 0
    foreach ($ns in $rsUids.Keys) {
        for ($p = 0; $p -lt $PodsPerNamespace; $p++) {
            $sidecars = if ($p % 2 -eq 0) { ", {name: istio-proxy, image: 'docker.io/istio/proxyv2:1.4.2'}, {name: dikastes, image: 'calico/dikastes:v3.12.3'}" } else { '' }
            $docs.Add("apiVersion: v1`nkind: Pod`nmetadata:`n  name: web-$hash-$p`n  namespace: $ns`n  labels: {app: web, pod-template-hash: '$hash'}`n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-$hash, uid: '$($rsUids[$ns])', controller: true}]`nspec: {automountServiceAccountToken: false, containers: [{name: app, image: 'nginx:1.19'}$sidecars]}")
            if ($docs.Count -eq 1000) {
                $f = Join-Path $tmp "pods-$file.yaml"; Set-Content $f ($docs -join "`n---`n"); kc apply --server-side --field-manager=calicoalp-scale -f $f | Out-Null; $docs.Clear(); $file++
            }
        }
    }
    if ($docs.Count) { $f = Join-Path $tmp "pods-$file.yaml"; Set-Content $f ($docs -join "`n---`n"); kc apply --server-side --field-manager=calicoalp-scale -f $f | Out-Null }
    Remove-Item $tmp -Recurse -Force
    Write-Host ("Created {0} namespaces with {1} pods each in {2:n1} s" -f $Namespaces, $PodsPerNamespace, $sw.Elapsed.TotalSeconds)
}
$pods = (kc get pods -A -l app=web -o name | Measure-Object).Count
Write-Host "Cluster has $pods pods in the scale namespaces."

Import-Module $ModulePath
# kubectl has just listed 10,000 pods twice (tens of MB through the API server): give the server's own garbage
# collection a moment, so that it does not land on the first timed call.
Start-Sleep -Seconds 15
# The timed call runs as an admin runs it (no -Verbose); the API calls are counted in a second, identical call with
# -Verbose, because turning a thousand verbose records into strings in this script costs the timed call a second or
# more of the same two cores. -ResetFirst removes the labels before each of the two calls (both then label all).
function Reset-Labels { kc label ns -l calicoalp-scale=1 istio-injection- | Out-Null }
function Measure-Run([string] $Title, [hashtable] $Extra, [switch] $ResetFirst) {
    if ($ResetFirst) { Reset-Labels }
    $load = (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -split ' ' | Select-Object -First 1
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $r = @(Add-AlpNamespace -Kubeconfig $Kubeconfig -Context admin -All -Selector 'calicoalp-scale=1' @Extra -WarningAction SilentlyContinue)
    $sw.Stop()
    if ($ResetFirst) { Reset-Labels }
    $verbose = [Collections.Generic.List[string]]::new()
    Add-AlpNamespace -Kubeconfig $Kubeconfig -Context admin -All -Selector 'calicoalp-scale=1' @Extra -Verbose 4>&1 -WarningAction SilentlyContinue 6>$null |
        ForEach-Object { if ($_ -is [System.Management.Automation.VerboseRecord]) { $verbose.Add($_.Message) } }
    $calls = $verbose | Where-Object { $_ -match '^(GET|PATCH|PUT|POST|DELETE) /' }
    $lists = $calls | Where-Object { $_ -match '^GET /api/v1/(namespaces|pods)\?' }
    # Any LIST: a collection path (/api/v1/<plural>, /apis/<g>/<v>/<plural>, either under namespaces/<ns>/).
    $allLists = $calls | Where-Object { $_ -match '^GET /(api/v1|apis/[^/ ]+/[^/ ]+)/(namespaces/[^/ ]+/)?[a-z]+[?  ]' -and $_ -notmatch '^GET /api/v1/namespaces/[^/ ?]+[ ]' }
    [pscustomobject]@{
        Run        = $Title
        Seconds    = [math]::Round($sw.Elapsed.TotalSeconds, 2)
        Namespaces = $r.Count
        Updated    = @($r | Where-Object LabelAction -eq 'Updated').Count
        PodsToRestart = ($r | Measure-Object PodsNeedingRestart -Sum).Sum
        ApiCalls   = @($calls).Count
        ListCalls  = @($lists).Count
        AllLists   = @($allLists).Count
        Gets       = @($calls | Where-Object { $_ -match '^GET /' }).Count - @($allLists).Count
        Patches    = @($calls | Where-Object { $_ -match '^PATCH /' }).Count
        LoadBefore = $load
    }
}
Reset-Labels
$results = @(
    Measure-Run 'label all (first call)' @{} -ResetFirst
    Measure-Run 'again (no writes)' @{}
    Measure-Run 'restart -WhatIf' @{ Restart = $true; WhatIf = $true }
    Measure-Run 'label all (warm)' @{} -ResetFirst
    Measure-Run 'label all (warm)' @{} -ResetFirst
)
Write-Host "Module: $Label ($ModulePath)"
# Every column named: a table of more than 10 properties would drop the last ones.
$results | Format-Table -AutoSize -Property Run, Seconds, Namespaces, Updated, PodsToRestart, ApiCalls, ListCalls, AllLists, Gets, Patches, LoadBefore |
    Out-String -Width 200 | Write-Host
# reset the labels so the next measurement starts from the same state
Reset-Labels
