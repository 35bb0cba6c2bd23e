<#
.SYNOPSIS
    The demo of build.ps1 Demo: CalicoAlp on two clusters of two ALP generations, as an admin runs it, unattended.
.DESCRIPTION
    Two contexts of one kubeconfig (build.ps1 Demo lays Calico 3.12 + Istio 1.4.2 and Calico 3.25 + Istio 1.15.2 on
    two local control planes): Get-AlpStatus failing on both; one pipeline repairing both (Felix, the injector with
    each cluster's Dikastes image and volume kind, the authorization service in each generation's EnvoyFilter form)
    and onboarding a 'shop' namespace; Get-AlpStatus passing on both; Test-AlpRequest decisions with their reasons;
    cleanup in reverse order. Exits non-zero if a cluster is not healthy after the repair or not clean afterwards.
.EXAMPLE
    dotnet pwsh ./tools/Show-Demo.ps1 -Kubeconfig /tmp/fleet.kubeconfig -Context istio-1.4, istio-1.15
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Kubeconfig,
    [Parameter(Mandatory)] [string[]] $Context,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/CalicoAlp/CalicoAlp.psd1'),
    [string] $PolicyPath = (Join-Path $PSScriptRoot '../docs/examples/shop-policy.yaml')
)

$ErrorActionPreference = 'Stop'
$Context = @($Context | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
$PSDefaultParameterValues['*-Alp*:Kubeconfig'] = $Kubeconfig
$PSDefaultParameterValues['*-CalicoAppLayerPolicy:Kubeconfig'] = $Kubeconfig
$PSDefaultParameterValues['*-IstioInjectorPatch:Kubeconfig'] = $Kubeconfig
function Step([string] $Text) { Write-Host "`n>>> $Text" -ForegroundColor Cyan }
function Show { $input | Format-Table -AutoSize | Out-String -Width 220 | Write-Host }
# Each cluster as a pipeline object: its Context binds to every cmdlet's -Context by property name.
$clusters = $Context | ForEach-Object { [pscustomobject]@{ Context = $_ } }

Step "Get-AlpStatus on $($Context -join ' and '): what fails before anything is set up"
$clusters | Get-AlpStatus | Where-Object Status -in 'Fail', 'Warn' | Select-Object Context, Check, Status, Message | Show

Step 'One pipeline repairs both clusters, each with its own generation'
$clusters | Get-AlpStatus | Where-Object Status -eq Fail | Repair-AlpSetup -Confirm:$false |
    ForEach-Object { [pscustomobject]@{ Context = $_.Context; Result = $_.GetType().Name; Object = "$_" } } | Show

Step 'Onboard a namespace on both: label it, list the pods that need a restart, check egress to istio-pilot/istiod'
foreach ($c in $Context) {
    & kubectl --kubeconfig $Kubeconfig --context $c create namespace shop | Out-Null
    & kubectl --kubeconfig $Kubeconfig --context $c -n shop create deployment api --image=nginx:1.19 | Out-Null
}
$clusters | Add-AlpNamespace -Name shop -Restart | Show

Step 'Get-AlpStatus again: every check passes (the injector, EnvoyFilter form and pilot port differ per generation)'
$after = Get-AlpStatus -Context $Context
$after | Where-Object Check -in 'Istio.Version', 'Injector.Dikastes', 'AuthorizationService.Objects', 'PilotEgress.Allowed' |
    Select-Object Context, Check, Status, Message | Show
$healthy = $true
foreach ($c in $Context) {
    $ok = Get-AlpStatus -Context $c -Quiet
    Write-Host ("Get-AlpStatus -Context {0} -Quiet: {1}" -f $c, $ok)
    $healthy = $healthy -and $ok
}

Step 'Test-AlpRequest: would these requests be allowed, and why?'
@(
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/api/orders?page=2' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'DELETE'; Path = '/api/orders' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/apiary' }
    [pscustomobject]@{ SourceNamespace = 'web'; SourceServiceAccount = 'crawler'; SourceIP = '10.2.0.9'; Method = 'GET'; Path = '/api/orders' }
) | Test-AlpRequest -PolicyPath $PolicyPath -DestinationNamespace shop -DestinationServiceAccount api -DestinationLabels @{ app = 'api' } -DestinationPort 8080 | Show

Step 'Cleanup on both, in reverse order: namespace, injector, authorization service and Felix'
$clusters | Remove-AlpNamespace -Name shop -Confirm:$false | Show
$clusters | Remove-IstioInjectorPatch -Confirm:$false | Show
$clusters | Disable-CalicoAppLayerPolicy -Force | Show
foreach ($c in $Context) { & kubectl --kubeconfig $Kubeconfig --context $c delete namespace shop --wait=false | Out-Null }
$left = $clusters | Get-AlpStatus | Where-Object Check -in 'Felix.PolicySyncPathPrefix', 'Injector.Dikastes', 'AuthorizationService.Objects' | Where-Object Status -ne 'Fail'
if ($left) { $left | Show }

Write-Host ("`nDEMO-RESULT healthy-after-repair={0} clean-after-cleanup={1}" -f $healthy, (-not $left))
if (-not $healthy -or $left) { exit 1 }
