<#
.SYNOPSIS
    One kubeconfig for several local control planes (tests/cluster/cluster.sh), each under a context name of its own.
.DESCRIPTION
    Every cluster.sh kubeconfig names its cluster 'calicoalp-local', its admin user 'calicoalp-admin' and its context
    'admin', so merging them as kubectl does would keep only the first. This copies the 'admin' context of each into a
    new file as <name> (cluster <name>, user <name>-admin), with the first as the current context. The file holds the
    admin tokens: it is written with owner-only permissions and its content is never printed.
.EXAMPLE
    ./tools/New-FleetKubeconfig.ps1 -Path /tmp/fleet.kubeconfig -Cluster @{ 'istio-1.4' = '/tmp/a/kubeconfig'; 'istio-1.15' = '/tmp/b/kubeconfig' }
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Path,
    # Context name -> the kubeconfig of a cluster.sh state dir (an ordered dictionary keeps the order).
    [Parameter(Mandatory)] [System.Collections.IDictionary] $Cluster
)
$ErrorActionPreference = 'Stop'
$merged = [ordered]@{ apiVersion = 'v1'; kind = 'Config'; clusters = @(); users = @(); contexts = @(); 'current-context' = $null; preferences = @{} }
foreach ($name in $Cluster.Keys) {
    $json = & kubectl --kubeconfig $Cluster[$name] config view --raw -o json
    if ($LASTEXITCODE -ne 0) { throw "cannot read $($Cluster[$name])" }
    $config = $json | Out-String | ConvertFrom-Json
    $context = $config.contexts | Where-Object name -eq 'admin'
    $c = $config.clusters | Where-Object name -eq $context.context.cluster
    $u = $config.users | Where-Object name -eq $context.context.user
    $merged.clusters += @{ name = $name; cluster = $c.cluster }
    $merged.users += @{ name = "$name-admin"; user = $u.user }
    $merged.contexts += @{ name = $name; context = @{ cluster = $name; user = "$name-admin" } }
    if (-not $merged.'current-context') { $merged.'current-context' = $name }
}
# JSON is YAML: kubectl and CalicoAlp read it as a kubeconfig.
New-Item -ItemType File -Path $Path -Force | Out-Null
if (-not $IsWindows) { & chmod 600 $Path }
$merged | ConvertTo-Json -Depth 10 | Set-Content -Path $Path -NoNewline
