@{
    RootModule             = 'CalicoAlp.dll'
    ModuleVersion          = '0.1.0'
    GUID                   = '5d0b6a8e-3c1f-4b8e-9a51-7f2e6c1d4a90'
    Author                 = 'CalicoAlp contributors'
    CompanyName            = 'CalicoAlp'
    Copyright              = '(c) CalicoAlp contributors. Apache-2.0.'
    Description            = 'Calico application layer policy (ALP) with Istio, made safe and scriptable: enable it, patch the Istio sidecar injector, put namespaces under it, and ask whether an HTTP request would be allowed, and why. PowerShell 7.4+ only (KubernetesClient needs .NET 8); Windows PowerShell 5.1 is not supported.'
    CompatiblePSEditions   = @('Core')
    PowerShellVersion      = '7.4'
    FormatsToProcess       = @('CalicoAlp.Format.ps1xml')
    # Explicit lists: for best performance, no wildcards.
    CmdletsToExport        = @(
        'Enable-CalicoAppLayerPolicy'
        'Get-AlpStatus'
        'Repair-AlpSetup'
        'Disable-CalicoAppLayerPolicy'
        'Add-AlpNamespace'
        'Remove-AlpNamespace'
        'Set-IstioInjectorPatch'
        'Remove-IstioInjectorPatch'
        'Test-AlpRequest'
        'Compare-AlpPolicy'
        'Get-AlpPermission'
    )
    FunctionsToExport      = @()
    VariablesToExport      = @()
    AliasesToExport        = @()
    PrivateData            = @{
        PSData = @{
            Tags         = @('Calico', 'Istio', 'Kubernetes', 'Dikastes', 'ApplicationLayerPolicy', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/calicoalp/CalicoAlp'
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ReleaseNotes = 'See README.md.'
        }
    }
}
