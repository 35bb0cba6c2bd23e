#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Compiles platyPS-format markdown pages (docs/<Verb-Noun>.md) into one MAML help file.
.DESCRIPTION
    A dependency-free stand-in for platyPS' New-ExternalHelp (platyPS is not available here). It reads every
    docs/*.md page whose front matter has 'external help file: <name of -OutputPath>' and writes one
    <helpItems schema="maml"> file with a command:command element per page, which Get-Help renders with
    -Full, -Detailed, -Examples and -Parameter.

    Page format (as platyPS writes it):
        ---
        external help file: CalicoAlp.dll-Help.xml
        Module Name: CalicoAlp
        online version:            (optional; becomes the 'Online Version:' link for Get-Help -Online)
        schema: 2.0.0
        ---
        # Verb-Noun
        ## SYNOPSIS            one paragraph (required)
        ## SYNTAX              ### <SetName> [(Default)] + a code block per parameter set, or one code block
        ## DESCRIPTION
        ## EXAMPLES            ### Example 1: title, a ```powershell block, then text (at least one; required)
        ## PARAMETERS          ### -Name, description, then one ```yaml block per distinct parameter-set setting:
                                 Type, Parameter Sets, Aliases, Required, Position, Default value,
                                 Accept pipeline input, Accept wildcard characters
                               ### CommonParameters (ignored: Get-Help adds it)
        ## INPUTS / ## OUTPUTS ### <type name> + description
        ## NOTES
        ## RELATED LINKS       [text](uri) lines

    A page without SYNOPSIS text or without an example stops the run with 'file:line: problem' for every such
    page. Other irregularities (a parameter in SYNTAX without a ### section, an example without code, ...) are
    warnings. Pages without that front matter (about_*.md, design notes) are skipped.

    The about_ topics are not produced here: their source is module/en-US/about_*.help.txt, which build.ps1
    copies into the module's en-US folder.
.EXAMPLE
    ./tools/New-MamlHelp.ps1 -DocsPath docs -OutputPath out/CalicoAlp/en-US/CalicoAlp.dll-Help.xml
.EXAMPLE
    ./tools/New-MamlHelp.ps1 -DocsPath docs -OutputPath $env:TEMP/check.xml -PassThru | Select-Object Name, Examples
    Checks the pages without building the module.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $DocsPath,
    [Parameter(Mandatory)]
    [string] $OutputPath,
    # Also writes the parsed pages to the pipeline (for checks and tests).
    [switch] $PassThru
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$NsMsh = 'http://msh'

#region markdown parsing

class MdSection {
    [int] $Level
    [string] $Title
    [int] $Line            # 1-based line of the heading
    [System.Collections.Generic.List[object]] $Body = [System.Collections.Generic.List[object]]::new()   # @{ Line; Text }
    [System.Collections.Generic.List[MdSection]] $Children = [System.Collections.Generic.List[MdSection]]::new()
}

function Split-MarkdownPage {
    # Returns @{ FrontMatter = ordered; Title; TitleLine; Sections = List[MdSection] (H2, each with H3 children) }.
    # Headings inside fenced code blocks are text.
    param([string[]] $Lines)
    $front = [ordered]@{}
    $i = 0
    if ($Lines.Count -gt 0 -and $Lines[0].Trim() -eq '---') {
        $i = 1
        while ($i -lt $Lines.Count -and $Lines[$i].Trim() -ne '---') {
            if ($Lines[$i] -match '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$') { $front[$Matches[1]] = $Matches[2] }
            $i++
        }
        $i++
    }
    $result = @{ FrontMatter = $front; Title = $null; TitleLine = 0; Sections = [System.Collections.Generic.List[MdSection]]::new() }
    $h2 = $null; $h3 = $null; $fence = $null
    for (; $i -lt $Lines.Count; $i++) {
        $text = $Lines[$i]; $lineNo = $i + 1
        if ($null -eq $fence -and $text -match '^(\s*)(```+|~~~+)') { $fence = $Matches[2] }
        elseif ($null -ne $fence -and $text.Trim().StartsWith($fence) -and $text.Trim().Trim($fence[0]) -eq '') { $fence = $null }
        elseif ($null -eq $fence -and $text -match '^(#{1,3})\s+(.*?)\s*#*\s*$') {
            $level = $Matches[1].Length; $title = $Matches[2]
            if ($level -eq 1) { if (-not $result.Title) { $result.Title = $title; $result.TitleLine = $lineNo }; continue }
            $s = [MdSection]@{ Level = $level; Title = $title; Line = $lineNo }
            if ($level -eq 2) { $h2 = $s; $h3 = $null; $result.Sections.Add($s) }
            elseif ($null -ne $h2) { $h3 = $s; $h2.Children.Add($s) }
            continue
        }
        $target = if ($null -ne $h3) { $h3 } elseif ($null -ne $h2) { $h2 } else { $null }
        if ($null -ne $target) { $target.Body.Add(@{ Line = $lineNo; Text = $text }) }
    }
    $result
}

function Get-Blocks {
    # Splits body lines into blocks in order: @{ Kind = 'text'|'code'; Lang; Lines = string[]; Line }.
    # Text blocks are paragraphs (runs of non-blank lines).
    param($Body)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $cur = $null; $fence = $null
    foreach ($l in $Body) {
        $t = $l.Text
        if ($null -ne $fence) {
            if ($t.Trim().StartsWith($fence) -and $t.Trim().Trim($fence[0]) -eq '') { $blocks.Add($cur); $cur = $null; $fence = $null }
            else { $cur.Lines.Add($t) }
            continue
        }
        if ($t -match '^\s*(```+|~~~+)\s*([\w.+-]*)') {
            if ($null -ne $cur) { $blocks.Add($cur) }
            $fence = $Matches[1]
            $cur = @{ Kind = 'code'; Lang = $Matches[2].ToLowerInvariant(); Lines = [System.Collections.Generic.List[string]]::new(); Line = $l.Line }
            continue
        }
        if ($t.Trim() -eq '') {
            if ($null -ne $cur) { $blocks.Add($cur); $cur = $null }
            continue
        }
        if ($null -eq $cur) { $cur = @{ Kind = 'text'; Lang = ''; Lines = [System.Collections.Generic.List[string]]::new(); Line = $l.Line } }
        $cur.Lines.Add($t)
    }
    if ($null -ne $cur) { $blocks.Add($cur) }
    , $blocks
}

function ConvertFrom-MarkdownInline {
    # What Get-Help shows is plain text: drop emphasis markers and backslash escapes, turn [text](uri) into 'text (uri)'.
    param([string] $Text)
    $t = $Text -replace '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)'
    $t = $t -replace '\*\*(.+?)\*\*', '$1'
    $t = $t -replace '(?<!`)`([^`]+)`(?!`)', '$1'
    $t = $t -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
    $t
}

function ConvertTo-Paragraphs {
    # Text blocks become one paragraph each: wrapped lines are joined, but list items and indented lines keep
    # their own lines. Code blocks inside descriptions become a paragraph of their lines, as they are.
    param($Blocks)
    $paras = [System.Collections.Generic.List[string]]::new()
    foreach ($b in $Blocks) {
        if ($b.Kind -eq 'code') {
            $paras.Add(($b.Lines -join "`n"))
            continue
        }
        $sb = [System.Text.StringBuilder]::new()
        foreach ($line in $b.Lines) {
            $isItem = $line -match '^\s*([-*+]|\d+[.)])\s+' -or $line -match '^\s{2,}\S' -or $line -match '^\s*\|'
            $clean = ConvertFrom-MarkdownInline $line
            if ($sb.Length -eq 0) { [void] $sb.Append($clean.TrimEnd()) }
            elseif ($isItem) { [void] $sb.Append("`n").Append($clean.TrimEnd()) }
            else { [void] $sb.Append(' ').Append($clean.Trim()) }
        }
        $paras.Add($sb.ToString())
    }
    , $paras
}

function Get-Section([MdSection[]] $Sections, [string] $Name) {
    $Sections | Where-Object { $_.Title -eq $Name } | Select-Object -First 1
}

function ConvertFrom-ParameterYaml {
    param([string[]] $Lines)
    $h = @{}
    foreach ($l in $Lines) {
        if ($l -match '^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$') { $h[$Matches[1].ToLowerInvariant()] = $Matches[2] }
    }
    $sets = if ($h['parameter sets']) { @($h['parameter sets'] -split '\s*,\s*' | Where-Object { $_ }) } else { @('(All)') }
    $aliases = if ($h['aliases'] -and $h['aliases'] -notmatch '^(none|)$') { $h['aliases'] -replace '\s*,\s*', ', ' } else { 'none' }
    $pipeline = if ($h['accept pipeline input']) { $h['accept pipeline input'] } else { 'False' }
    [pscustomobject]@{
        Type         = if ($h['type']) { $h['type'] } else { 'Object' }
        Sets         = $sets
        Aliases      = $aliases
        Required     = $h['required'] -match '^true$'
        Position     = if ($h['position'] -and $h['position'] -notmatch '^named$') { $h['position'] } else { 'named' }
        DefaultValue = if ($null -ne $h['default value'] -and $h['default value'] -ne '') { $h['default value'] } else { 'None' }
        Pipeline     = $pipeline
        Globbing     = $h['accept wildcard characters'] -match '^true$'
    }
}

function Read-HelpPage {
    # Parses one page; returns the page object, and adds 'file:line: message' to $Errors / warns for lesser problems.
    param([IO.FileInfo] $File, [System.Collections.Generic.List[string]] $Errors)
    $rel = [IO.Path]::GetRelativePath((Get-Location).ProviderPath, $File.FullName)
    $lines = [IO.File]::ReadAllLines($File.FullName)
    $md = Split-MarkdownPage $lines
    $sections = @($md.Sections)
    $name = if ($md.Title) { $md.Title.Trim() } else { $File.BaseName }
    if (-not $md.Title) { Write-Warning "${rel}:1: no '# $($File.BaseName)' title; using the file name." }
    elseif ($name -ne $File.BaseName) { Write-Warning "${rel}:$($md.TitleLine): the title '# $name' differs from the file name '$($File.BaseName)'." }
    $lastLine = [Math]::Max(1, $lines.Count)

    # SYNOPSIS (required)
    $synopsis = ''
    $sec = Get-Section $sections 'SYNOPSIS'
    if (-not $sec) { $Errors.Add("${rel}:$([Math]::Max(1, $md.TitleLine)): missing '## SYNOPSIS' section (Get-Help would show the syntax instead).") }
    else {
        $synopsis = (ConvertTo-Paragraphs (Get-Blocks $sec.Body)) -join ' '
        if (-not $synopsis.Trim()) { $Errors.Add("${rel}:$($sec.Line): '## SYNOPSIS' is empty.") }
    }

    # DESCRIPTION
    $description = [System.Collections.Generic.List[string]]::new()
    $sec = Get-Section $sections 'DESCRIPTION'
    if ($sec) {
        foreach ($p in (ConvertTo-Paragraphs (Get-Blocks $sec.Body))) { $description.Add($p) }
        foreach ($c in $sec.Children) {
            $description.Add($c.Title.ToUpperInvariant())
            foreach ($p in (ConvertTo-Paragraphs (Get-Blocks $c.Body))) { $description.Add($p) }
        }
    }
    else { Write-Warning "${rel}: no '## DESCRIPTION' section." }

    # PARAMETERS
    $parameters = [ordered]@{}
    $sec = Get-Section $sections 'PARAMETERS'
    if ($sec) {
        foreach ($c in $sec.Children) {
            if ($c.Title -eq 'CommonParameters') { continue }
            if ($c.Title -notmatch '^-([A-Za-z_][\w]*)$') { Write-Warning "${rel}:$($c.Line): '### $($c.Title)' under PARAMETERS is not '### -Name'; ignored."; continue }
            $pname = $Matches[1]
            $blocks = Get-Blocks $c.Body
            $yaml = @($blocks | Where-Object { $_.Kind -eq 'code' -and $_.Lang -in 'yaml', 'yml' })
            $text = @($blocks | Where-Object { -not ($_.Kind -eq 'code' -and $_.Lang -in 'yaml', 'yml') })
            $desc = ConvertTo-Paragraphs $text
            if ($desc.Count -eq 0) { Write-Warning "${rel}:$($c.Line): parameter -$pname has no description." }
            if ($yaml.Count -eq 0) { Write-Warning "${rel}:$($c.Line): parameter -$pname has no yaml block (Type, Required, Position, ...)." }
            $settings = @($yaml | ForEach-Object { ConvertFrom-ParameterYaml $_.Lines })
            if ($settings.Count -eq 0) { $settings = @(ConvertFrom-ParameterYaml @()) }
            $parameters[$pname] = [pscustomobject]@{ Name = $pname; Description = $desc; Settings = $settings; Line = $c.Line }
        }
    }
    else { Write-Warning "${rel}: no '## PARAMETERS' section." }

    # SYNTAX: one item per parameter set, parameters in the order the syntax block lists them
    $syntax = [System.Collections.Generic.List[object]]::new()
    $sec = Get-Section $sections 'SYNTAX'
    $setSources = @()
    if ($sec) {
        if ($sec.Children.Count -gt 0) { $setSources = @($sec.Children | ForEach-Object { @{ Set = ($_.Title -replace '\s*\(Default\)\s*$', ''); Body = $_.Body; Line = $_.Line } }) }
        else { $setSources = @(@{ Set = '(All)'; Body = $sec.Body; Line = $sec.Line }) }
    }
    foreach ($src in $setSources) {
        $code = @((Get-Blocks $src.Body) | Where-Object Kind -EQ 'code' | ForEach-Object { $_.Lines }) -join ' '
        if (-not $code.Trim()) { Write-Warning "${rel}:$($src.Line): SYNTAX '$($src.Set)' has no code block."; continue }
        $names = [System.Collections.Generic.List[string]]::new()
        foreach ($m in [regex]::Matches($code, '(?<=[\s\[])-([A-Za-z_]\w*)')) {
            if (-not $names.Contains($m.Groups[1].Value)) { $names.Add($m.Groups[1].Value) }
        }
        $items = foreach ($n in $names) {
            $p = $parameters[$n]
            if (-not $p) { Write-Warning "${rel}:$($src.Line): -$n appears in SYNTAX but has no '### -$n' section under PARAMETERS."; continue }
            $s = $p.Settings | Where-Object { $_.Sets -contains $src.Set -or $_.Sets -contains '(All)' } | Select-Object -First 1
            if (-not $s) { $s = $p.Settings[0] }
            [pscustomobject]@{ Parameter = $p; Setting = $s }
        }
        $syntax.Add([pscustomobject]@{ Set = $src.Set; Items = @($items) })
    }
    if ($syntax.Count -eq 0) {
        Write-Warning "${rel}: no usable '## SYNTAX' code block; the syntax lists every documented parameter."
        $syntax.Add([pscustomobject]@{ Set = '(All)'; Items = @($parameters.Values | ForEach-Object { [pscustomobject]@{ Parameter = $_; Setting = $_.Settings[0] } }) })
    }

    # EXAMPLES (at least one)
    $examples = [System.Collections.Generic.List[object]]::new()
    $sec = Get-Section $sections 'EXAMPLES'
    if (-not $sec) { $Errors.Add("${rel}:${lastLine}: missing '## EXAMPLES' section (at least one '### Example 1: ...' with a powershell code block).") }
    else {
        foreach ($c in $sec.Children) {
            $blocks = Get-Blocks $c.Body
            $codeBlock = $blocks | Where-Object Kind -EQ 'code' | Select-Object -First 1
            if (-not $codeBlock) { Write-Warning "${rel}:$($c.Line): example '$($c.Title)' has no code block." }
            $intro = @(); $remarks = @(); $seenCode = $false
            foreach ($b in $blocks) {
                if ($b -eq $codeBlock) { $seenCode = $true; continue }
                if ($seenCode) { $remarks += , $b } else { $intro += , $b }
            }
            $examples.Add([pscustomobject]@{
                    Title        = $c.Title
                    Introduction = ConvertTo-Paragraphs $intro
                    Code         = if ($codeBlock) { ($codeBlock.Lines -join "`n").Trim("`n") } else { '' }
                    Remarks      = ConvertTo-Paragraphs $remarks
                })
        }
        if ($examples.Count -eq 0) { $Errors.Add("${rel}:$($sec.Line): '## EXAMPLES' has no '### Example 1: ...' subsection.") }
    }

    # INPUTS / OUTPUTS
    $typesOf = {
        param($s)
        $list = [System.Collections.Generic.List[object]]::new()
        if (-not $s) { return , $list }
        foreach ($c in $s.Children) { $list.Add([pscustomobject]@{ Name = (ConvertFrom-MarkdownInline $c.Title); Description = ConvertTo-Paragraphs (Get-Blocks $c.Body) }) }
        if ($list.Count -eq 0) {
            $paras = ConvertTo-Paragraphs (Get-Blocks $s.Body)
            if ($paras.Count -gt 0) { $list.Add([pscustomobject]@{ Name = $paras[0]; Description = @($paras | Select-Object -Skip 1) }) }
        }
        , $list
    }
    $inputs = & $typesOf (Get-Section $sections 'INPUTS')
    $outputs = & $typesOf (Get-Section $sections 'OUTPUTS')

    # NOTES
    $notes = [System.Collections.Generic.List[string]]::new()
    $sec = Get-Section $sections 'NOTES'
    if ($sec) {
        foreach ($p in (ConvertTo-Paragraphs (Get-Blocks $sec.Body))) { $notes.Add($p) }
        foreach ($c in $sec.Children) {
            $notes.Add($c.Title.ToUpperInvariant())
            foreach ($p in (ConvertTo-Paragraphs (Get-Blocks $c.Body))) { $notes.Add($p) }
        }
    }

    # RELATED LINKS (+ online version)
    $links = [System.Collections.Generic.List[object]]::new()
    $online = $md.FrontMatter['online version']
    if ($online) { $links.Add([pscustomobject]@{ Text = 'Online Version:'; Uri = $online }) }
    $sec = Get-Section $sections 'RELATED LINKS'
    if ($sec) {
        foreach ($l in $sec.Body) {
            $t = $l.Text.Trim() -replace '^[-*+]\s+', ''
            if (-not $t) { continue }
            # Only absolute URIs are kept: a relative one (Other-Cmdlet.md) means nothing to Get-Help.
            if ($t -match '^\[([^\]]*)\]\(([^)]*)\)') {
                $linkText = $Matches[1]; $uri = $Matches[2]
                $links.Add([pscustomobject]@{ Text = $linkText; Uri = $(if ($uri -match '^[a-z][a-z0-9+.-]*://') { $uri } else { '' }) })
            }
            else { $links.Add([pscustomobject]@{ Text = (ConvertFrom-MarkdownInline $t); Uri = '' }) }
        }
    }

    $verb, $noun = $name -split '-', 2
    [pscustomobject]@{
        Name        = $name
        Verb        = $verb
        Noun        = $noun
        File        = $rel
        Synopsis    = $synopsis
        Description = $description
        Syntax      = $syntax
        Parameters  = $parameters
        Examples    = $examples
        Inputs      = $inputs
        Outputs     = $outputs
        Notes       = $notes
        Links       = $links
    }
}

#endregion

#region MAML writing

function Write-Paras([System.Xml.XmlWriter] $W, $Paras) {
    $any = $false
    foreach ($p in $Paras) { $W.WriteElementString('maml', 'para', $NsMaml, $p); $any = $true }
    if (-not $any) { $W.WriteElementString('maml', 'para', $NsMaml, '') }
}

function Write-Description([System.Xml.XmlWriter] $W, $Paras) {
    $W.WriteStartElement('maml', 'description', $NsMaml)
    Write-Paras $W $Paras
    $W.WriteEndElement()
}

function Write-Parameter([System.Xml.XmlWriter] $W, $Parameter, $Setting, [bool] $InSyntax) {
    $isSwitch = $Setting.Type -match '^(System\.Management\.Automation\.)?SwitchParameter$'
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', $Setting.Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $Setting.Globbing.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $Setting.Pipeline)
    $W.WriteAttributeString('position', $Setting.Position)
    $W.WriteAttributeString('aliases', $Setting.Aliases)
    $W.WriteElementString('maml', 'name', $NsMaml, $Parameter.Name)
    Write-Description $W $Parameter.Description
    # Switches have no value in the syntax line ('[-Force]'); the parameter list shows '[<SwitchParameter>]'.
    if (-not ($InSyntax -and $isSwitch)) {
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($Setting.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $Setting.Type)
    $W.WriteElementString('maml', 'uri', $NsMaml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $Setting.DefaultValue)
    $W.WriteEndElement()
}

function Write-TypeList([System.Xml.XmlWriter] $W, [string] $Outer, [string] $Inner, $Types) {
    $W.WriteStartElement('command', $Outer, $NsCommand)
    foreach ($t in $Types) {
        $W.WriteStartElement('command', $Inner, $NsCommand)
        $W.WriteStartElement('dev', 'type', $NsDev)
        $W.WriteElementString('maml', 'name', $NsMaml, $t.Name)
        $W.WriteElementString('maml', 'uri', $NsMaml, '')
        $W.WriteEndElement()
        Write-Description $W $t.Description
        $W.WriteEndElement()
    }
    $W.WriteEndElement()
}

function Write-Command([System.Xml.XmlWriter] $W, $Page) {
    $W.WriteStartElement('command', 'command', $NsCommand)
    $W.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
    $W.WriteAttributeString('xmlns', 'command', $null, $NsCommand)
    $W.WriteAttributeString('xmlns', 'dev', $null, $NsDev)

    $W.WriteStartElement('command', 'details', $NsCommand)
    $W.WriteElementString('command', 'name', $NsCommand, $Page.Name)
    $W.WriteElementString('command', 'verb', $NsCommand, $Page.Verb)
    $W.WriteElementString('command', 'noun', $NsCommand, $Page.Noun)
    Write-Description $W @($Page.Synopsis)
    $W.WriteEndElement()

    Write-Description $W $Page.Description

    $W.WriteStartElement('command', 'syntax', $NsCommand)
    foreach ($s in $Page.Syntax) {
        $W.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $W.WriteElementString('maml', 'name', $NsMaml, $Page.Name)
        foreach ($item in $s.Items) { Write-Parameter $W $item.Parameter $item.Setting $true }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'parameters', $NsCommand)
    foreach ($p in $Page.Parameters.Values) { Write-Parameter $W $p $p.Settings[0] $false }
    $W.WriteEndElement()

    Write-TypeList $W 'inputTypes' 'inputType' $Page.Inputs
    Write-TypeList $W 'returnValues' 'returnValue' $Page.Outputs

    $W.WriteStartElement('maml', 'alertSet', $NsMaml)
    $W.WriteStartElement('maml', 'alert', $NsMaml)
    Write-Paras $W $Page.Notes
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $NsCommand)
    foreach ($e in $Page.Examples) {
        $W.WriteStartElement('command', 'example', $NsCommand)
        $W.WriteElementString('maml', 'title', $NsMaml, "--------- $($e.Title) ---------")
        if ($e.Introduction.Count -gt 0) {
            $W.WriteStartElement('maml', 'introduction', $NsMaml)
            Write-Paras $W $e.Introduction
            $W.WriteEndElement()
        }
        $W.WriteElementString('dev', 'code', $NsDev, $e.Code)
        $W.WriteStartElement('dev', 'remarks', $NsDev)
        Write-Paras $W $e.Remarks
        # An empty paragraph puts a blank line between one example's text and the next example's title.
        if ($e.Remarks.Count -gt 0) { $W.WriteElementString('maml', 'para', $NsMaml, '') }
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('maml', 'relatedLinks', $NsMaml)
    foreach ($l in $Page.Links) {
        $W.WriteStartElement('maml', 'navigationLink', $NsMaml)
        $W.WriteElementString('maml', 'linkText', $NsMaml, $l.Text)
        $W.WriteElementString('maml', 'uri', $NsMaml, $l.Uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement() # command:command
}

#endregion

$docs = (Resolve-Path -LiteralPath $DocsPath).ProviderPath
$outFile = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$helpFileName = [IO.Path]::GetFileName($outFile)

$errors = [System.Collections.Generic.List[string]]::new()
$pages = [System.Collections.Generic.List[object]]::new()
foreach ($file in Get-ChildItem -LiteralPath $docs -Filter '*.md' -File | Sort-Object Name) {
    $head = [IO.File]::ReadLines($file.FullName) | Select-Object -First 20
    $external = $head | Where-Object { $_ -match '^\s*external help file\s*:\s*(.+?)\s*$' } | ForEach-Object { $Matches[1] } | Select-Object -First 1
    if (-not $external) { Write-Verbose "Skipped $($file.Name): no 'external help file' front matter."; continue }
    if ($external -ne $helpFileName) { Write-Verbose "Skipped $($file.Name): its help file is '$external', not '$helpFileName'."; continue }
    $pages.Add((Read-HelpPage -File $file -Errors $errors))
}

if ($errors.Count -gt 0) {
    throw "New-MamlHelp: $($errors.Count) problem(s) in the help pages; no help file was written:`n  " + ($errors -join "`n  ")
}
if ($pages.Count -eq 0) { Write-Warning "No page in '$docs' names '$helpFileName' as its external help file." }
$dupes = $pages | Group-Object Name | Where-Object Count -GT 1
if ($dupes) { throw "New-MamlHelp: more than one page for $(($dupes | ForEach-Object Name) -join ', ')." }

$dir = [IO.Path]::GetDirectoryName($outFile)
if ($dir -and -not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; IndentChars = '  '; Encoding = [System.Text.UTF8Encoding]::new($false); NewLineChars = "`n" }
$w = [System.Xml.XmlWriter]::Create($outFile, $settings)
try {
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', $NsMsh)
    $w.WriteAttributeString('schema', 'maml')
    foreach ($p in $pages) { Write-Command $w $p }
    $w.WriteEndElement()
    $w.WriteEndDocument()
}
finally { $w.Dispose() }
Write-Verbose "Wrote $outFile ($($pages.Count) command(s): $(($pages | ForEach-Object Name) -join ', '))."
if ($PassThru) { $pages }
