# The shared folder: read-only upstream files (calico-alp, istio-stock) and test vectors. It is $env:CALICOALP_SHARED,
# else ../shared beside the repository. The one place build.ps1 and the Pester files look for it; the xunit tests
# use its twin, RepoPaths.Shared (tests/CalicoAlp.Tests/Infrastructure/RepoPaths.cs), with the same rule.
# Tests that read it are marked: xunit [Trait("Category", "Shared")], Pester -Tag Shared.

function Get-SharedFolder {
    # The path, whether or not it exists ($PSScriptRoot here is tests/, where this file lives).
    if ($env:CALICOALP_SHARED) { return [IO.Path]::GetFullPath($env:CALICOALP_SHARED) }
    [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../shared'))
}

function Get-SharedFolderProblem {
    # $null when the folder is there, else one sentence naming the folder and the variable.
    $path = Get-SharedFolder
    if (Test-Path -LiteralPath $path -PathType Container) { return $null }
    "The shared folder '$path' is missing (upstream files and test vectors; set CALICOALP_SHARED, default: ../shared beside the repository)."
}
