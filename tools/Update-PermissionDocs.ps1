<#
.SYNOPSIS
Writes the "### Permissions" section of each cluster cmdlet's docs page (docs/<Cmdlet>.md) from the core's permission
table (CmdletPermissions, through PermissionDocs.Section), as the last part of its DESCRIPTION. The unit test
PermissionTableTests.Each_docs_page_has_the_Permissions_section_of_the_table fails until the pages match the table.
.PARAMETER CoreAssembly
The built CalicoAlp.Core.dll (default: the one in out/CalicoAlp/Dependencies after build.ps1 Build).
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [string] $CoreAssembly = (Join-Path $PSScriptRoot '../out/CalicoAlp/Dependencies/CalicoAlp.Core.dll')
)
$ErrorActionPreference = 'Stop'
$asm = [System.Reflection.Assembly]::LoadFrom((Resolve-Path $CoreAssembly))
$table = $asm.GetType('CalicoAlp.Core.Security.CmdletPermissions', $true)
$docs = $asm.GetType('CalicoAlp.Core.Security.PermissionDocs', $true)
foreach ($command in $table::Commands) {
    $path = Join-Path $PSScriptRoot "../docs/$command.md"
    $text = (Get-Content -Raw $path) -replace "`r`n", "`n"
    $section = $docs::Section($command)
    $existing = $docs::Extract($text)
    if ($existing) {
        $start = $text.IndexOf($existing.TrimEnd("`n"))
        $new = $text.Substring(0, $start) + $section.TrimEnd("`n") + $text.Substring($start + $existing.TrimEnd("`n").Length)
    }
    else {
        # The end of DESCRIPTION: the next level-2 heading after it.
        $desc = $text.IndexOf("`n## DESCRIPTION`n")
        if ($desc -lt 0) { throw "$path has no '## DESCRIPTION' section." }
        $next = $text.IndexOf("`n## ", $desc + 5)
        $new = $text.Substring(0, $next + 1) + $section + "`n" + $text.Substring($next + 1)
    }
    if ($new -ne $text -and $PSCmdlet.ShouldProcess($path, 'Write the Permissions section')) {
        [System.IO.File]::WriteAllText((Resolve-Path $path), $new)
        Write-Verbose "${command}: section written."
    }
}
