<#
.SYNOPSIS
    The demo of build.ps1 Demo: the cmdlets against a running cluster with the test fixture, as an admin runs them.
.DESCRIPTION
    Enable-CalicoAppLayerPolicy -WhatIf, then Enable | Set-IstioInjectorPatch | Add-AlpNamespace -Restart on a 'shop'
    namespace it creates, the same again (nothing to write), and Test-AlpRequest on docs/examples/shop-policy.yaml.
    build.ps1 Demo starts the cluster (tests/cluster/cluster.sh), runs this in a fresh pwsh and stops it afterwards.
.EXAMPLE
    dotnet pwsh ./tools/Show-Demo.ps1 -Kubeconfig /tmp/me-k8s/kubeconfig
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Kubeconfig,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/CalicoAlp/CalicoAlp.psd1'),
    [string] $PolicyPath = (Join-Path $PSScriptRoot '../docs/examples/shop-policy.yaml')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
function Step([string] $Text) { Write-Host "`n>>> $Text" -ForegroundColor Cyan }
function Show { $input | Format-Table -AutoSize | Out-String -Width 220 | Write-Host }

Step "Enable-CalicoAppLayerPolicy -Kubeconfig $Kubeconfig -WhatIf"
Enable-CalicoAppLayerPolicy -Kubeconfig $Kubeconfig -WhatIf
Step 'Enable-CalicoAppLayerPolicy | Set-IstioInjectorPatch | Add-AlpNamespace -Name shop -Restart'
& kubectl --kubeconfig $Kubeconfig create namespace shop | Out-Null
& kubectl --kubeconfig $Kubeconfig -n shop create deployment api --image=nginx:1.19 | Out-Null
Enable-CalicoAppLayerPolicy -Kubeconfig $Kubeconfig | Show
Enable-CalicoAppLayerPolicy -Kubeconfig $Kubeconfig | Set-IstioInjectorPatch -Confirm:$false | Show
Add-AlpNamespace -Kubeconfig $Kubeconfig -Name shop -Restart | Show
Step 'again: nothing to write'
Enable-CalicoAppLayerPolicy -Kubeconfig $Kubeconfig | Show
Step 'Test-AlpRequest: would these requests be allowed, and why?'
@(
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/api/orders?page=2' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'DELETE'; Path = '/api/orders' }
    [pscustomobject]@{ SourceNamespace = 'shop'; SourceServiceAccount = 'frontend'; SourceIP = '10.1.0.5'; Method = 'GET'; Path = '/apiary' }
    [pscustomobject]@{ SourceNamespace = 'web'; SourceServiceAccount = 'crawler'; SourceIP = '10.2.0.9'; Method = 'GET'; Path = '/api/orders' }
) | Test-AlpRequest -PolicyPath $PolicyPath -DestinationNamespace shop -DestinationServiceAccount api -DestinationLabels @{ app = 'api' } -DestinationPort 8080 | Show
