<#
.SYNOPSIS
    The package step of build.ps1 Package: publishes the built module to a folder repository as a .nupkg, then installs
    and imports that package the way a user would get it.
.DESCRIPTION
    Uses PSResourceGet (Register-PSResourceRepository, Publish-PSResource, Save-PSResource) with a temporary repository
    registration that is removed afterwards. The package's version is the manifest's ModuleVersion.
.EXAMPLE
    dotnet pwsh ./tools/Test-ModulePackage.ps1 -ModuleFolder ./out/CalicoAlp -RepositoryFolder ./out/repo
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleFolder,
    [Parameter(Mandatory)] [string] $RepositoryFolder
)

$ErrorActionPreference = 'Stop'
$name = 'CalicoAlpBuild' + $PID
Register-PSResourceRepository -Name $name -Uri $RepositoryFolder -Trusted
try {
    Publish-PSResource -Path $ModuleFolder -Repository $name -SkipDependenciesCheck
    # Prove the package installs and imports the way a user would get it.
    $check = Join-Path ([IO.Path]::GetTempPath()) ('calicoalp-pkg-' + $PID)
    New-Item -ItemType Directory -Force -Path $check | Out-Null
    Save-PSResource -Name CalicoAlp -Repository $name -Path $check -TrustRepository
    $m = Import-Module (Join-Path $check 'CalicoAlp') -PassThru
    Write-Host "Package check: installed CalicoAlp $($m.Version) exports $($m.ExportedCmdlets.Count) cmdlets"
    Remove-Module CalicoAlp; Remove-Item $check -Recurse -Force
}
finally { Unregister-PSResourceRepository -Name $name }
