#Requires -Version 7.4
<#
    Help quality gate for every exported cmdlet (found with Get-Command, so new cmdlets are covered without editing
    this file): a real synopsis, at least one example with code, a description for every parameter the cmdlet
    declares (common parameters excepted; -WhatIf/-Confirm included), no help for parameters that no longer exist,
    a docs/<Cmdlet>.md page, and the about_CalicoAlp topic. Also checks tools/New-MamlHelp.ps1's own contract.

    Runs against the built module: $env:CALICOALP_MODULE, else <repo>/out/CalicoAlp/CalicoAlp.psd1
    (dotnet pwsh ./build.ps1 Build).
#>

BeforeDiscovery {
    $repoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $modulePath = if ($env:CALICOALP_MODULE) { $env:CALICOALP_MODULE } else { Join-Path $repoRoot 'out/CalicoAlp/CalicoAlp.psd1' }
    if (-not (Test-Path -LiteralPath $modulePath)) {
        throw "Built module not found at '$modulePath'. Run 'dotnet pwsh ./build.ps1 Build' or set `$env:CALICOALP_MODULE."
    }
    Import-Module $modulePath -Force -ErrorAction Stop
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters + 'UseTransaction'
    $cmdletCases = @(Get-Command -Module CalicoAlp -CommandType Cmdlet, Function | Sort-Object Name | ForEach-Object {
            $cmd = $_
            @{
                Name       = $cmd.Name
                Parameters = @($cmd.Parameters.Keys | Where-Object { $_ -notin $common } | Sort-Object | ForEach-Object { @{ Command = $cmd.Name; Parameter = $_ } })
            }
        })
}

BeforeAll {
    $repoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $modulePath = if ($env:CALICOALP_MODULE) { $env:CALICOALP_MODULE } else { Join-Path $repoRoot 'out/CalicoAlp/CalicoAlp.psd1' }
    Import-Module $modulePath -Force -ErrorAction Stop
    $docsPath = Join-Path $repoRoot 'docs'
    $helpGenerator = Join-Path $repoRoot 'tools/New-MamlHelp.ps1'

    function Get-HelpText($Node) {
        # description / remarks nodes are arrays of @{ Text }; flatten to one string.
        (@($Node) | Where-Object { $null -ne $_ } | ForEach-Object { if ($_.PSObject.Properties['Text']) { $_.Text } else { "$_" } }) -join "`n"
    }
}

Describe 'The module exports cmdlets' {
    It 'has at least one command to check' {
        @(Get-Command -Module CalicoAlp).Count | Should -BeGreaterThan 0
    }
}

Describe 'Help for <Name>' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
    }

    It 'has a docs page docs/<Name>.md that names the module''s help file' {
        $page = Join-Path $docsPath "$Name.md"
        $page | Should -Exist
        $front = Get-Content -LiteralPath $page -TotalCount 10
        ($front -match '^external help file:\s*CalicoAlp\.dll-Help\.xml\s*$') | Should -Not -BeNullOrEmpty -Because "$Name.md needs the front matter line 'external help file: CalicoAlp.dll-Help.xml'"
    }

    It 'comes from the MAML help file, not from the cmdlet metadata' {
        $help.PSObject.TypeNames | Should -Contain 'MamlCommandHelpInfo'
    }

    It 'has a written synopsis (not the auto-generated syntax)' {
        $synopsis = "$($help.Synopsis)".Trim()
        $synopsis | Should -Not -BeNullOrEmpty
        $synopsis | Should -Not -Match "^$([regex]::Escape($Name))(\s|$)" -Because 'without help Get-Help shows the syntax as the synopsis'
        $synopsis | Should -Not -Match '\[<CommonParameters>\]'
    }

    It 'has a description' {
        Get-HelpText $help.description | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example, each with code' {
        $examples = @((Get-Help -Name $Name -Examples).examples.example)
        $examples.Count | Should -BeGreaterThan 0
        foreach ($e in $examples) {
            "$($e.code)".Trim() | Should -Not -BeNullOrEmpty -Because "example '$($e.title)' needs a code block"
        }
    }

    It 'documents -<Parameter>' -ForEach $Parameters {
        $p = Get-Help -Name $Command -Parameter $Parameter -ErrorAction SilentlyContinue
        $p | Should -Not -BeNullOrEmpty -Because "docs/$Command.md needs a '### -$Parameter' section under PARAMETERS"
        Get-HelpText $p.description | Should -Not -BeNullOrEmpty -Because "-$Parameter needs a description"
    }

    It 'documents no parameter that the cmdlet does not have' {
        $declared = (Get-Command -Name $Name).Parameters.Keys
        $documented = @($help.parameters.parameter | ForEach-Object { "$($_.name)" } | Where-Object { $_ })
        $documented | Where-Object { $_ -notin $declared } | Should -BeNullOrEmpty
    }
}

Describe 'about_CalicoAlp' {
    It 'is found by Get-Help' {
        $about = Get-Help -Name about_CalicoAlp -ErrorAction Stop
        "$about" | Should -Match 'about_CalicoAlp'
        "$about" | Should -Match 'SHORT DESCRIPTION'
    }

    It 'covers <Topic>' -ForEach @(
        @{ Topic = 'the ALP steps'; Pattern = 'THE ALP STEPS' }
        @{ Topic = 'kubeconfig resolution'; Pattern = 'KUBECONFIG' }
        @{ Topic = 'TLS'; Pattern = 'SkipTlsVerify' }
        @{ Topic = 'error ids'; Pattern = 'KubeForbidden' }
        @{ Topic = 'pipeline composition'; Pattern = 'PIPELINE COMPOSITION' }
    ) {
        "$(Get-Help -Name about_CalicoAlp)" | Should -Match $Pattern
    }
}

Describe 'tools/New-MamlHelp.ps1' {
    BeforeAll {
        $good = @'
---
external help file: Test.dll-Help.xml
Module Name: Test
---

# Get-Thing

## SYNOPSIS
Gets a thing.

## SYNTAX

### ByName (Default)
```
Get-Thing [-Name] <String> [<CommonParameters>]
```

### ById
```
Get-Thing -Id <Int32> [-Force] [<CommonParameters>]
```

## DESCRIPTION
Gets **one** thing.

## EXAMPLES

### Example 1: By name
```powershell
Get-Thing -Name a
```

Gets a.

## PARAMETERS

### -Name
The name.

```yaml
Type: String
Parameter Sets: ByName
Aliases: n

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: True
```

### -Id
The id.

```yaml
Type: Int32
Parameter Sets: ById
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

### -Force
No questions.

```yaml
Type: SwitchParameter
Parameter Sets: ById
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### None

## OUTPUTS

### System.Object
A thing.

## NOTES
Nothing.

## RELATED LINKS

[Online](https://example.org/get-thing)
'@
    }

    It 'writes MAML with one syntax item per parameter set' {
        $docs = New-Item -ItemType Directory -Path (Join-Path $TestDrive 'good') -Force
        Set-Content -LiteralPath (Join-Path $docs 'Get-Thing.md') -Value $good
        Set-Content -LiteralPath (Join-Path $docs 'about_Test.md') -Value '# about_Test'   # no front matter: skipped
        $out = Join-Path $TestDrive 'good-out/Test.dll-Help.xml'
        & $helpGenerator -DocsPath $docs -OutputPath $out
        [xml] $xml = Get-Content -LiteralPath $out -Raw
        $ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
        $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        $xml.SelectNodes('//command:command', $ns).Count | Should -Be 1
        $xml.SelectSingleNode('//command:details/command:name', $ns).InnerText | Should -Be 'Get-Thing'
        $xml.SelectSingleNode('//command:details/maml:description/maml:para', $ns).InnerText | Should -Be 'Gets a thing.'
        $items = $xml.SelectNodes('//command:syntax/command:syntaxItem', $ns)
        $items.Count | Should -Be 2
        @($items[1].SelectNodes('command:parameter/maml:name', $ns) | ForEach-Object InnerText) | Should -Be @('Id', 'Force')
        $name = $xml.SelectSingleNode("//command:parameters/command:parameter[maml:name='Name']", $ns)
        $name.required | Should -Be 'true'
        $name.position | Should -Be '0'
        $name.globbing | Should -Be 'true'
        $name.aliases | Should -Be 'n'
        $name.pipelineInput | Should -Be 'True (ByPropertyName)'
        $xml.SelectSingleNode('//command:examples/command:example/dev:code', $ns).InnerText | Should -Be 'Get-Thing -Name a'
        $xml.SelectSingleNode('//command:returnValues/command:returnValue/dev:type/maml:name', $ns).InnerText | Should -Be 'System.Object'
        $xml.SelectSingleNode('//maml:relatedLinks/maml:navigationLink/maml:uri', $ns).InnerText | Should -Be 'https://example.org/get-thing'
        $xml.SelectSingleNode('/*/command:command/maml:description/maml:para', $ns).InnerText | Should -Be 'Gets one thing.'
    }

    It 'fails naming file and line when <Case>' -ForEach @(
        @{ Case = 'SYNOPSIS is missing'; Cut = "## SYNOPSIS`nGets a thing.`n"; Expect = 'Get-Thing\.md:\d+: missing ''## SYNOPSIS''' }
        @{ Case = 'SYNOPSIS is empty'; Cut = 'Gets a thing.'; Expect = 'Get-Thing\.md:8: ''## SYNOPSIS'' is empty' }
        @{ Case = 'EXAMPLES is missing'; Cut = "## EXAMPLES`n"; Expect = 'Get-Thing\.md:\d+: missing ''## EXAMPLES''' }
        @{ Case = 'EXAMPLES has no example'; Cut = "### Example 1: By name`n``````powershell`nGet-Thing -Name a`n```````n`nGets a.`n"; Expect = 'Get-Thing\.md:\d+: ''## EXAMPLES'' has no' }
    ) {
        $docs = New-Item -ItemType Directory -Path (Join-Path $TestDrive "bad-$([guid]::NewGuid())") -Force
        $page = ($good -replace "`r`n", "`n").Replace($Cut, '')
        Set-Content -LiteralPath (Join-Path $docs 'Get-Thing.md') -Value $page
        $out = Join-Path $docs 'out/Test.dll-Help.xml'
        { & $helpGenerator -DocsPath $docs -OutputPath $out } | Should -Throw -ExpectedMessage "*Get-Thing.md:*"
        try { & $helpGenerator -DocsPath $docs -OutputPath $out } catch { $_.Exception.Message | Should -Match $Expect }
        $out | Should -Not -Exist
    }
}
