#Requires -Version 7.5
<#
    Every shared vector through the built module's Test-AlpRequest, one It per case (the xunit twin is
    tests/CalicoAlp.Tests/Policy/VectorTests.cs, which runs the same files through the engine).

    - alp-vectors.json: the case's tiers, policies and profiles (and its namespaces and service accounts as v1
      Namespace/ServiceAccount objects) become one policy file; its request becomes the cmdlet's parameters (the
      profiles, in order, become -DestinationProfile; a null source workload means an address outside the cluster).
      The expected Decision and Status are asserted, and that the request the cmdlet evaluated is the vector's
      (principal, addresses, ports, workloads and labels, profiles, protocol, method, path). Every 'Differs in:' line
      of versionNotes is run with -CalicoVersion at the same representative releases as the xunit side. The vectors
      name no deciding tier/policy/rule, so only the decision is asserted for them.
    - selector-vectors.json: each selector is used twice, as a GlobalNetworkPolicy's spec.selector (the labels are the
      destination's, -DestinationLabels) and as an ingress rule's source.selector (the labels are the source
      workload's, -SourceLabels). A match is an Allow by that policy's rule 0; no match is the endpoint's fall-through
      (no profiles) or the tier's defaultAction. An invalid selector must stop the cmdlet with the terminating error
      InvalidSelector naming the file, the field and the column.

    Needs no cluster; PowerShell 7.5+ (ConvertFrom-Json -DateKind). Runs against $env:CALICOALP_MODULE (else
    out/CalicoAlp) and $env:CALICOALP_SHARED (else <repo>/../shared).
#>

BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../SharedFolder.ps1'); $shared = Get-SharedFolder

    function Read-Vectors([string] $File) {
        # A missing or unreadable file gives no cases here; the 'reads the shared vector files' test then fails.
        $path = Join-Path $shared "vectors/$File"
        if (-not (Test-Path -LiteralPath $path)) { return @() }
        @(Get-Content -LiteralPath $path -Raw | ConvertFrom-Json -DateKind String)
    }

    function Format-Short([string] $Text) {
        $t = $Text.Replace("`t", '\t').Replace("`n", '\n').Replace("`r", '\r')
        if ($t.Length -gt 60) { $t = $t.Substring(0, 60) + '...' }
        $t
    }

    $selectorCases = @(
        $vectors = Read-Vectors 'selector-vectors.json'
        for ($i = 0; $i -lt $vectors.Count; $i++) {
            $v = $vectors[$i]
            $outcome = if ($v.PSObject.Properties['parseError'] -and $v.parseError) { 'parse error' }
            else {
                $labels = @($v.labels.PSObject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ', '
                "{$(Format-Short $labels)} -> $(if ($v.expect) { 'match' } else { 'no match' })"
            }
            @{ Index = $i; Vector = $v; Display = "[$(Format-Short $v.selector)] $outcome" }
        }
    )

    # versionNotes: "Baseline is ... Differs in: <=v3.29 (...): Allow; v3.30.0-v3.31.5: Deny; v3.31.6-v3.32.x tags: Deny"
    # -> the representative releases of each line, as SharedVectors.VersionExpectations picks them for xunit.
    function Get-VersionExpectation($Vector) {
        if (-not $Vector.PSObject.Properties['versionNotes']) { return }
        $text = [string] $Vector.versionNotes
        $at = $text.IndexOf('Differs in:', [StringComparison]::Ordinal)
        if ($at -lt 0) { return }
        foreach ($part in $text.Substring($at + 'Differs in:'.Length).Split(';')) {
            $colon = $part.LastIndexOf(':')
            if ($colon -lt 0) { continue }
            $expect = $part.Substring($colon + 1).Trim().TrimEnd('.')
            $range = $part.Substring(0, $colon).Trim()
            if ($expect -cnotin 'Allow', 'Deny') { continue }
            $versions = if ($range.StartsWith('<=v3.29', [StringComparison]::Ordinal)) { '3.29.0', '3.20.1' }
            elseif ($range.StartsWith('v3.30.0-v3.31.5', [StringComparison]::Ordinal)) { '3.30.0', '3.31.5' }
            elseif ($range.StartsWith('v3.31.6-v3.32', [StringComparison]::Ordinal)) { '3.31.6', '3.32.0' }
            else { @($null) }  # an unknown release line: a case that fails and names it (never skipped)
            foreach ($version in $versions) { @{ Version = $version; Expect = $expect; Range = $range } }
        }
    }

    $alpCases = @()
    $versionCases = @()
    $vectors = Read-Vectors 'alp-vectors.json'
    for ($i = 0; $i -lt $vectors.Count; $i++) {
        $v = $vectors[$i]
        $alpCases += @{ Index = $i; Name = $v.name; Vector = $v }
        foreach ($e in @(Get-VersionExpectation $v)) {
            $versionCases += @{ Index = $i; Name = $v.name; Vector = $v; Version = $e.Version; Expect = $e.Expect; Range = $e.Range }
        }
    }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')   # $RepoRoot and $ModulePath only: no cluster is started here
    Import-Module $ModulePath -Force -ErrorAction Stop
    $shared = Get-SharedFolder
    $selectorFile = Join-Path $shared 'vectors/selector-vectors.json'
    $alpFile = Join-Path $shared 'vectors/alp-vectors.json'

    function ConvertTo-Labels($Object) {
        # Label keys are case-sensitive, as in Kubernetes (a plain @{} would not be).
        $h = [hashtable]::new([StringComparer]::Ordinal)
        if ($null -ne $Object) { foreach ($p in $Object.PSObject.Properties) { $h[$p.Name] = [string] $p.Value } }
        $h
    }

    function ConvertTo-JsonDocument($Object) { ConvertTo-Json -InputObject $Object -Depth 64 -Compress }

    function Format-Decision($Decision) {
        if ($null -eq $Decision) { return 'no decision was written' }
        "got $($Decision.Decision)/$($Decision.Status) ($($Decision.Reason)): $($Decision.DecidedBy)`n" + (@($Decision.Trace) -join "`n")
    }

    # One policy file per case, written once (the Its only call the cmdlet).
    $utf8 = [Text.UTF8Encoding]::new($false)
    $policyFiles = @{}
    $selectorLine = @{}
    $dir = Join-Path $TestDrive 'alp'
    New-Item -ItemType Directory -Path $dir | Out-Null
    $alpVectors = if (Test-Path -LiteralPath $alpFile) { @(Get-Content -LiteralPath $alpFile -Raw | ConvertFrom-Json -DateKind String) } else { @() }
    for ($i = 0; $i -lt $alpVectors.Count; $i++) {
        $v = $alpVectors[$i]
        # As the xunit side feeds the loader: tiers, policies and profiles as JSON documents of one stream, then the
        # namespaces and service accounts the case defines (their labels feed namespace/SA selectors).
        $docs = @(
            foreach ($key in 'tiers', 'policies', 'profiles') {
                if ($v.PSObject.Properties[$key]) { foreach ($o in @($v.$key)) { ConvertTo-JsonDocument $o } }
            }
            if ($v.PSObject.Properties['namespaces']) {
                foreach ($ns in $v.namespaces.PSObject.Properties) {
                    ConvertTo-JsonDocument ([ordered]@{ apiVersion = 'v1'; kind = 'Namespace'; metadata = [ordered]@{ name = $ns.Name; labels = ConvertTo-Labels $ns.Value.labels } })
                }
            }
            if ($v.PSObject.Properties['serviceAccounts']) {
                foreach ($sa in $v.serviceAccounts.PSObject.Properties) {
                    $nsName, $saName = $sa.Name.Split('/')
                    ConvertTo-JsonDocument ([ordered]@{ apiVersion = 'v1'; kind = 'ServiceAccount'; metadata = [ordered]@{ name = $saName; namespace = $nsName; labels = ConvertTo-Labels $sa.Value.labels } })
                }
            }
        )
        $file = Join-Path $dir "alp-$i.yaml"
        [IO.File]::WriteAllText($file, ($docs -join "`n---`n"), $utf8)   # faster than Set-Content for ~370 files
        $policyFiles["alp-$i"] = $file
    }

    # Each selector goes into two policy files (from a template, so that the line of the selector is known): as the
    # policy's endpoint selector (does it select a destination with the vector's labels?) and as an ingress rule's
    # source selector (does it match a source workload with the vector's labels?).
    $templates = @{
        destination = @'
{
  "apiVersion": "projectcalico.org/v3",
  "kind": "GlobalNetworkPolicy",
  "metadata": { "name": "vector-selector" },
  "spec": {
    "selector": @SELECTOR@,
    "types": [ "Ingress" ],
    "ingress": [ { "action": "Allow" } ]
  }
}
'@
        source      = @'
{
  "apiVersion": "projectcalico.org/v3",
  "kind": "GlobalNetworkPolicy",
  "metadata": { "name": "vector-source-selector" },
  "spec": {
    "selector": "all()",
    "types": [ "Ingress" ],
    "ingress": [
      { "action": "Allow", "source": { "selector": @SELECTOR@ } }
    ]
  }
}
'@
    }
    $templateLine = @{}   # the 1-based line of the selector in each template, for the InvalidSelector checks
    foreach ($side in $templates.Keys) {
        $lines = $templates[$side].Replace("`r", '').Split("`n")
        $templateLine[$side] = 1 + [array]::FindIndex($lines, [Predicate[string]] { param($l) $l.Contains('@SELECTOR@') })
    }
    $dir = Join-Path $TestDrive 'selector'
    New-Item -ItemType Directory -Path $dir | Out-Null
    $selectorVectors = if (Test-Path -LiteralPath $selectorFile) { @(Get-Content -LiteralPath $selectorFile -Raw | ConvertFrom-Json -DateKind String) } else { @() }
    for ($i = 0; $i -lt $selectorVectors.Count; $i++) {
        $selectorJson = ConvertTo-Json -InputObject ([string] $selectorVectors[$i].selector)   # a JSON string literal
        foreach ($side in 'destination', 'source') {
            $file = Join-Path $dir "selector-$i-$side.json"
            [IO.File]::WriteAllText($file, $templates[$side].Replace("`r", '').Replace('@SELECTOR@', $selectorJson), $utf8)
            $policyFiles["selector-$i-$side"] = $file
            $selectorLine["selector-$i-$side"] = $templateLine[$side]
        }
    }

    function Get-AlpRequestParameter($Vector) {
        # The vector's request as Test-AlpRequest parameters (SharedVectors.RequestOf is the engine-side twin).
        $r = $Vector.request
        $p = @{
            SourcePrincipal           = [string] $r.sourcePrincipal      # always given: '' is plaintext
            SourceIP                  = $r.source.ip
            SourcePort                = $r.source.port
            DestinationNamespace      = $r.destination.namespace
            DestinationServiceAccount = $r.destination.serviceAccount
            DestinationLabels         = ConvertTo-Labels $r.destination.labels
            DestinationIP             = $r.destination.ip
            DestinationPort           = $r.destination.port
            DestinationProfile        = [string[]] @(foreach ($o in @($Vector.profiles)) { $o.metadata.name })
            Protocol                  = if ($r.PSObject.Properties['protocol'] -and $r.protocol) { $r.protocol } else { 'TCP' }
        }
        if ($null -ne $r.source.workload) {
            # A workload source; without one (null) the source is an address outside the cluster.
            $p.SourceNamespace = $r.source.workload.namespace
            $p.SourceServiceAccount = $r.source.workload.serviceAccount
            $p.SourceLabels = ConvertTo-Labels $r.source.workload.labels
        }
        if ($r.PSObject.Properties['method'] -and $null -ne $r.method) { $p.Method = $r.method }
        if ($r.PSObject.Properties['path'] -and $null -ne $r.path) { $p.Path = $r.path }
        $p
    }

    function Invoke-Vector([hashtable] $Parameters) {
        # Any error, terminating or not, fails the case; a malformed principal's warning is expected behaviour.
        $out = @(Test-AlpRequest @Parameters -ErrorAction Stop -WarningAction SilentlyContinue)
        if ($out.Count -ne 1) { throw "expected one decision for one request, got $($out.Count) objects" }
        $out[0]
    }

    function Format-LabelText($Labels) {
        if ($null -eq $Labels) { return '{}' }
        $pairs = if ($Labels -is [Collections.IDictionary]) { foreach ($k in $Labels.Keys) { "$k=$($Labels[$k])" } }
        else { foreach ($q in $Labels.PSObject.Properties) { "$($q.Name)=$($q.Value)" } }
        '{' + ((@($pairs) | Sort-Object -CaseSensitive) -join ',') + '}'
    }

    function Format-VectorRequest($Vector) {
        # The vector's request in the shape of Format-EvaluatedRequest: proves the parameters said what the vector says.
        $r = $Vector.request
        $w = $r.source.workload
        $protocol = @{ TCP = 6; UDP = 17; SCTP = 132; ICMP = 1 }[[string] $r.protocol]
        "principal='$($r.sourcePrincipal)' source=$($r.source.ip):$($r.source.port) " +
        "workload=$(if ($null -ne $w) { "$($w.namespace)/$($w.serviceAccount)$(Format-LabelText $w.labels)" } else { 'none' }) " +
        "destination=$($r.destination.ip):$($r.destination.port) $($r.destination.namespace)/$($r.destination.serviceAccount)$(Format-LabelText $r.destination.labels) " +
        "profiles=[$(@(foreach ($o in @($Vector.profiles)) { $o.metadata.name }) -join ',')] protocol=$(if ($null -ne $protocol) { $protocol } else { $r.protocol }) http='$($r.method)' '$($r.path)'"
    }

    function Format-EvaluatedRequest($Request) {
        $w = $Request.SourceWorkload
        $dw = $Request.DestinationWorkload
        "principal='$($Request.SourcePrincipal)' source=$($Request.SourceIP):$($Request.SourcePort) " +
        "workload=$(if ($null -ne $w) { "$($w.Namespace)/$($w.ServiceAccount)$(Format-LabelText $w.Labels)" } else { 'none' }) " +
        "destination=$($Request.DestinationIP):$($Request.DestinationPort) $($dw.Namespace)/$($dw.ServiceAccount)$(Format-LabelText $dw.Labels) " +
        "profiles=[$(@($Request.Profiles) -join ',')] protocol=$($Request.Protocol) http='$($Request.Method)' '$($Request.Path)'"
    }

    function Format-Outcome($Decision) {
        # The asserted fields in one line, so that one Should compares them all and its diff shows which one differs.
        "$($Decision.Decision)/$($Decision.Status) reason=$($Decision.Reason) tier=$($Decision.Tier) policy=$($Decision.Policy) rule=$($Decision.RuleIndex)"
    }
}

Describe 'Shared vectors through Test-AlpRequest' -Tag Shared {
    It 'reads the shared vector files and writes a policy file for every case (<File>)' -ForEach @(
        @{ File = 'selector-vectors.json'; Prefix = 'selector-'; FilesPerCase = 2 }
        @{ File = 'alp-vectors.json'; Prefix = 'alp-'; FilesPerCase = 1 }
    ) {
        $path = Join-Path $shared "vectors/$File"
        Test-Path -LiteralPath $path | Should -BeTrue -Because "the vectors are read from `$env:CALICOALP_SHARED/vectors ($path)"
        $count = if ($File -eq 'alp-vectors.json') { $alpVectors.Count } else { $selectorVectors.Count }
        $count | Should -BeGreaterThan 0
        @($policyFiles.Keys | Where-Object { $_.StartsWith($Prefix) }).Count | Should -Be ($FilesPerCase * $count)
    }

    Context 'selector-vectors.json' {
        It 'selector #<Index>: <Display>' -ForEach $selectorCases {
            $v = $Vector
            $labels = ConvertTo-Labels $(if ($v.PSObject.Properties['labels']) { $v.labels })
            $sides = @(
                @{
                    Side = 'destination'; Field = 'spec.selector'; Policy = 'vector-selector'
                    # Not selected: no policy applies to the endpoint, which has no profiles.
                    NoMatch = 'Deny/PERMISSION_DENIED reason=NoProfiles tier= policy= rule='
                    Parameters = @{ SourceIP = '10.0.0.1'; DestinationNamespace = 'default'; DestinationServiceAccount = 'default'; DestinationLabels = $labels; DestinationIP = '10.0.0.2'; DestinationPort = 8080; DestinationProfile = [string[]] @() }
                }
                @{
                    Side = 'source'; Field = 'spec.ingress[0].source.selector'; Policy = 'vector-source-selector'
                    # Selected by all(), but the rule's source selector does not match: the tier's defaultAction denies.
                    NoMatch = 'Deny/PERMISSION_DENIED reason=TierDefaultAction tier=default policy= rule='
                    Parameters = @{ SourceIP = '10.0.0.1'; SourceNamespace = 'default'; SourceServiceAccount = 'default'; SourceLabels = $labels; DestinationNamespace = 'default'; DestinationServiceAccount = 'default'; DestinationLabels = @{}; DestinationIP = '10.0.0.2'; DestinationPort = 8080; DestinationProfile = [string[]] @() }
                }
            )
            # Both sides are compared in one Should, one line each (a Should call costs more than a Test-AlpRequest call).
            $expected = @(); $actual = @(); $why = @()
            foreach ($s in $sides) {
                $key = "selector-$Index-$($s.Side)"
                $file = $policyFiles[$key]
                $p = $s.Parameters
                $p.PolicyPath = $file
                if ($v.PSObject.Properties['parseError'] -and $v.parseError) {
                    # The cmdlet must stop (a terminating error, whatever -ErrorAction says) with InvalidSelector, naming
                    # the file, the line and field of the selector, and a column inside the selector (or just past its end).
                    $err = $null; $out = @()
                    try { $out = @(Test-AlpRequest @p -ErrorAction SilentlyContinue) } catch { $err = $_ }
                    $where = "${file}:$($selectorLine[$key])"
                    $message = if ($err) { $err.Exception.Message } else { '' }
                    $m = [regex]::Match($message, '^' + [regex]::Escape("${where}: document 1: field '$($s.Field)': ") + '.*\bcolumn (\d+): \S', 'Singleline')
                    $columnOk = $m.Success -and [int] $m.Groups[1].Value -ge 1 -and [int] $m.Groups[1].Value -le $v.selector.Length + 1
                    $expected += "$($s.Side): terminating=True output=0 id=InvalidSelector,CalicoAlp.Cmdlets.TestAlpRequestCommand category=InvalidData target=$where message=names file, line, field and column"
                    $actual += "$($s.Side): terminating=$($null -ne $err) output=$($out.Count) id=$($err.FullyQualifiedErrorId) category=$($err.CategoryInfo.Category) target=$($err.TargetObject) " +
                        "message=$(if ($columnOk) { 'names file, line, field and column' } else { $message })"
                    $why += "the $($s.Side) selector ($($s.Field)) is invalid"
                    continue
                }
                $d = Invoke-Vector $p
                $expected += "$($s.Side): " + $(if ($v.expect) { "Allow/OK reason=PolicyRule tier=default policy=$($s.Policy) rule=0" } else { $s.NoMatch })
                $actual += "$($s.Side): $(Format-Outcome $d)"
                $why += "the $($s.Side) selector $(if ($v.expect) { 'matches' } else { 'does not match' }) {$(@(foreach ($k in $labels.Keys) { "$k=$($labels[$k])" }) -join ', ')}; $(Format-Decision $d)"
            }
            $actual -join "`n" | Should -BeExactly ($expected -join "`n") -Because ($why -join "`n")
        }
    }

    Context 'alp-vectors.json' {
        It '<Name>' -ForEach $alpCases {
            $p = Get-AlpRequestParameter $Vector
            $p.PolicyPath = $policyFiles["alp-$Index"]
            $d = Invoke-Vector $p
            $expect = [string] $Vector.expect
            $expectStatus = if ($Vector.PSObject.Properties['expectStatus']) { [string] $Vector.expectStatus } elseif ($expect -eq 'Allow') { 'OK' } else { 'PERMISSION_DENIED' }
            # Without -CalicoVersion the newest behaviour ('baseline') decides; the second line checks that the cmdlet
            # evaluated the vector's request (so a verdict cannot be right for a wrongly converted request).
            $actual = "$($d.Decision)/$($d.Status) as $(("$($d.CalicoVersion)" -split ' ')[0])`n$(Format-EvaluatedRequest $d.Request)"
            $actual | Should -BeExactly "$expect/$expectStatus as baseline`n$(Format-VectorRequest $Vector)" -Because (Format-Decision $d)
        }
    }

    Context 'alp-vectors.json versionNotes (-CalicoVersion)' {
        It '<Name> (Calico <Version>: <Expect>)' -ForEach $versionCases {
            if (-not $Version) { throw "Unrecognised versionNotes release line '$Range' in '$Name': map it to representative releases (as SharedVectors.VersionExpectations does)." }
            $p = Get-AlpRequestParameter $Vector
            $p.PolicyPath = $policyFiles["alp-$Index"]
            $p.CalicoVersion = $Version
            $d = Invoke-Vector $p
            # The decision, taken with the requested release's behaviour.
            "$($d.Decision) as $(("$($d.CalicoVersion)" -split ' ')[0])" | Should -BeExactly "$Expect as $Version" -Because "versionNotes: $Range -> $Expect; $(Format-Decision $d)"
        }
    }
}
