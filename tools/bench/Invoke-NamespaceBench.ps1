<#
.SYNOPSIS
    Bench -Suite Namespaces: Add-AlpNamespace at scale against the real local control plane.
.DESCRIPTION
    Runs tools/bench/Measure-NamespaceScale.ps1 (500 namespaces of 20 pods by default) against the cluster of
    $env:CALICOALP_TEST_STATE, or -Kubeconfig, or else a local control plane it starts (tests/cluster/cluster.sh) and
    stops afterwards. See docs/performance.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Namespaces
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-NamespaceBench.ps1 -Kubeconfig /tmp/me-k8s/kubeconfig
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-NamespaceBench.ps1 -BaselineModulePath /tmp/before/CalicoAlp/CalicoAlp.psd1
    Before/after in one run: the same measurements with an older build first, then this one, each in its own process.
#>
[CmdletBinding()]
param(
    # A cluster to use (context 'admin'); default: $env:CALICOALP_TEST_STATE's, else a fresh local one.
    [string] $Kubeconfig,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/CalicoAlp/CalicoAlp.psd1'),
    # Another build of the module (e.g. of the previous commit) measured first on the same cluster, in its own process.
    [string] $BaselineModulePath,
    # The measurement to run on that cluster: Add-AlpNamespace (Bench -Suite Namespaces) or Get-AlpStatus (-Suite Status).
    [ValidateSet('Measure-NamespaceScale.ps1', 'Measure-StatusScale.ps1')]
    [string] $Measure = 'Measure-NamespaceScale.ps1'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
Assert-BuiltModule $ModulePath

$state = $null
if (-not $Kubeconfig) {
    if ($env:CALICOALP_TEST_STATE) { $Kubeconfig = Join-Path $env:CALICOALP_TEST_STATE 'kubeconfig' }
    else { $state = Start-TestCluster; $Kubeconfig = Join-Path $state 'kubeconfig' }
}
try {
    $measureScript = Join-Path $PSScriptRoot $Measure
    if ($BaselineModulePath) {
        # Both modules are named CalicoAlp: one process each (the cluster is laid once, by the first).
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        & dotnet $pwsh -NoProfile -File $measureScript -Kubeconfig $Kubeconfig -ModulePath $BaselineModulePath -Label 'before (baseline)'
        if ($LASTEXITCODE -ne 0) { throw "the baseline measurement failed ($LASTEXITCODE)" }
        & dotnet $pwsh -NoProfile -File $measureScript -Kubeconfig $Kubeconfig -ModulePath $ModulePath -Label 'after (this build)'
        if ($LASTEXITCODE -ne 0) { throw "the measurement failed ($LASTEXITCODE)" }
    }
    else {
        & $measureScript -Kubeconfig $Kubeconfig -ModulePath $ModulePath
    }
}
finally { Stop-TestCluster $state }
