# Every ALP generation through the built module: the §8 oracle pairs of the generations spec offline
# (Set-IstioInjectorPatch -Path <stock ConfigMap> -CalicoVersion -IstioVersion -OutFile) and live (the stock ConfigMap
# in the local API server, patched and unpatched), and Istio 1.22+'s dikastes templates.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot '../SharedFolder.ps1')
    $pairs = @(Import-Csv (Join-Path $PSScriptRoot '../data/generation-pairs.csv') | ForEach-Object { @{ Istio = $_.Istio; Calico = $_.Calico; CalicoFile = $_.CalicoFile } })
    # live: one pair per stock Istio release (the newest Calico file for it)
    $livePairs = @($pairs | Group-Object { $_.Istio } | ForEach-Object { $_.Group[-1] })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
    Import-Module $ModulePath -Force
    $modern = Join-Path (Get-SharedFolder) 'upstream/calico-alp-modern'
    $work = Join-Path ([IO.Path]::GetTempPath()) ('calicoalp-gen-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null

    function Get-ConfigBody([string] $path) {
        # The lines of data.config as written in the file: the block after 'config: |' (indent 4 removed).
        $lines = [IO.File]::ReadAllLines($path)
        $start = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^  config: \|' })
        if ($start -lt 0) { throw "no config block in $path" }
        $body = [Collections.Generic.List[string]]::new()
        for ($i = $start + 1; $i -lt $lines.Count; $i++) {
            $l = $lines[$i]
            if ($l.Trim().Length -gt 0 -and -not $l.StartsWith('    ')) { break }
            $body.Add($(if ($l.Length -ge 4) { $l.Substring(4) } else { '' }))
        }
        while ($body.Count -gt 0 -and $body[$body.Count - 1] -eq '') { $body.RemoveAt($body.Count - 1) }
        , $body.ToArray()
    }
    function Get-Image([string] $path) { ([regex]::Match([IO.File]::ReadAllText($path), 'image: (\S*dikastes\S*)')).Groups[1].Value }
    function Get-StockPath([string] $istio) { Join-Path $modern "istio-stock/$istio/rendered/istio-sidecar-injector.configmap.yaml" }
}

AfterAll {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    Stop-OwnedTestCluster
}

Describe 'The §8 oracle pairs offline' -Tag Shared {
    It 'Set on stock Istio <Istio> with Calico <Calico> gives Calico''s config; Remove gives the stock file back' -ForEach $pairs {
        $stock = Get-StockPath $Istio
        $calicoFile = Join-Path $modern $CalicoFile
        $image = Get-Image $calicoFile
        $out = Join-Path $work "set-$Istio-$Calico.yaml"
        $r = Set-IstioInjectorPatch -Path $stock -CalicoVersion $Calico -DikastesImage $image -IstioVersion $Istio -OutFile $out -Confirm:$false
        $r.Action | Should -Be 'Created'
        $r.Image | Should -Be $image
        $got = Get-ConfigBody $out
        if ($Istio -like '1.6.*' -or $Istio -like '1.7.*') {
            # Calico's whole-config replacement dropped the stock 'injectedAnnotations:' line and the blank after it; Set keeps them.
            $at = [Array]::IndexOf($got, 'injectedAnnotations:')
            $at | Should -BeGreaterThan 0
            $got = @($got[0..($at - 1)]) + @($got[($at + 2)..($got.Count - 1)])
        }
        ($got -join "`n") | Should -BeExactly ((Get-ConfigBody $calicoFile) -join "`n")

        $back = Join-Path $work "removed-$Istio-$Calico.yaml"
        (Remove-IstioInjectorPatch -Path $out -OutFile $back -Confirm:$false).Action | Should -Be 'Removed'
        [IO.File]::ReadAllText($back) | Should -BeExactly ([IO.File]::ReadAllText($stock))
        # a second Set is Unchanged
        (Set-IstioInjectorPatch -Path $out -CalicoVersion $Calico -DikastesImage $image -IstioVersion $Istio -OutFile $out -Confirm:$false).Action | Should -Be 'Unchanged'
    }

    It 'Calico 3.33+ ships no Dikastes image: Set asks for -DikastesImage' {
        # bad input: a terminating error
        $e = { Set-IstioInjectorPatch -Path (Get-StockPath '1.15.2') -CalicoVersion 3.33.0 -IstioVersion 1.15.2 -OutFile (Join-Path $work 'x.yaml') } |
            Should -Throw -ErrorId 'DikastesImageRequired*' -PassThru
        $e.Exception.Message | Should -Match '12225'
        $e.ErrorDetails.RecommendedAction | Should -Match '-DikastesImage'
        Test-Path (Join-Path $work 'x.yaml') | Should -BeFalse
    }

    It 'Without -DikastesImage the image follows the Calico release (Docker Hub up to 3.30, quay.io from 3.31)' {
        $a = Set-IstioInjectorPatch -Path (Get-StockPath '1.10.2') -CalicoVersion 3.30.7 -IstioVersion 1.10.2 -OutFile (Join-Path $work 'a.yaml') -Confirm:$false
        $a.Image | Should -Be 'calico/dikastes:v3.30.7'
        $b = Set-IstioInjectorPatch -Path (Get-StockPath '1.10.2') -CalicoVersion 3.31.7 -IstioVersion 1.10.2 -OutFile (Join-Path $work 'b.yaml') -Confirm:$false
        $b.Image | Should -Be 'quay.io/calico/dikastes:v3.31.7'
        [IO.File]::ReadAllText((Join-Path $work 'b.yaml')) | Should -Match 'driver: "csi.tigera.io"'
        $c = Set-IstioInjectorPatch -Path (Get-StockPath '1.9.6') -CalicoVersion 3.22.5 -IstioVersion 1.9.6 -OutFile (Join-Path $work 'c.yaml') -Confirm:$false
        [IO.File]::ReadAllText((Join-Path $work 'c.yaml')) | Should -Match 'driver: nodeagent/uds'
    }
}

Describe 'The §8 oracle pairs live, and Istio 1.22+ on a cluster' -Tag Cluster, Shared {
    BeforeAll {
        $state = Get-TestClusterState
        $kc = Join-Path $state 'kubeconfig'
        $prefix = 'gen' + (Get-Random -Maximum 99999)
        $script:namespaces = [Collections.Generic.List[string]]::new()
        function New-InjectorNamespace([string] $suffix, [string] $configMapText, [string] $name = 'istio-sidecar-injector') {
            $ns = "$prefix-$suffix"
            Invoke-TestKubectl create namespace $ns | Out-Null
            $script:namespaces.Add($ns)
            if ($configMapText) {
                $file = Join-Path $work "$ns-$name.yaml"
                $text = $configMapText -replace '(?m)^  namespace: istio-system$', "  namespace: $ns" -replace '(?m)^  name: istio-sidecar-injector$', "  name: $name" -replace '"namespace":\s*"istio-system"', """namespace"": ""$ns"""
                [IO.File]::WriteAllText($file, $text)
                $r = Invoke-TestKubectl create -f $file
                if ($r.ExitCode -ne 0) { throw $r.Output }
            }
            $ns
        }
        function Get-LiveConfig([string] $ns, [string] $name = 'istio-sidecar-injector') {
            (Invoke-TestKubectl -n $ns get configmap $name -o 'jsonpath={.data.config}').Output.TrimEnd("`r", "`n")
        }
        function New-Stock128ConfigMap([hashtable] $labels = @{}) {
            $config = [IO.File]::ReadAllText((Join-Path $modern 'istio-stock/1.28.1/rendered/data.config.txt'))
            $cm = [ordered]@{
                apiVersion = 'v1'; kind = 'ConfigMap'
                metadata = [ordered]@{ name = 'istio-sidecar-injector'; namespace = 'istio-system'; labels = ([ordered]@{ 'istio.io/rev' = 'default' } + $labels) }
                data = [ordered]@{ config = $config; values = '{"global":{"tag":"1.28.1"}}' }
            }
            $cm | ConvertTo-Json -Depth 6
        }
        function New-Istiod([string] $ns, [string] $native, [string] $name = 'istiod') {
            $env = if ($native) { ",""env"":[{""name"":""ENABLE_NATIVE_SIDECARS"",""value"":""$native""}]" } else { '' }
            $json = "{""apiVersion"":""apps/v1"",""kind"":""Deployment"",""metadata"":{""name"":""$name"",""namespace"":""$ns""},""spec"":{""selector"":{""matchLabels"":{""app"":""istiod""}},""template"":{""metadata"":{""labels"":{""app"":""istiod""}},""spec"":{""containers"":[{""name"":""discovery"",""image"":""docker.io/istio/pilot:1.28.1""$env}]}}}}"
            $file = Join-Path $work "$ns-$name-istiod.json"
            [IO.File]::WriteAllText($file, $json)
            $r = Invoke-TestKubectl create -f $file
            if ($r.ExitCode -ne 0) { throw $r.Output }
        }
    }
    AfterAll {
        foreach ($ns in $script:namespaces) { Invoke-TestKubectl delete namespace $ns --wait=false | Out-Null }
    }

    It 'Live Set on the stock ConfigMap of Istio <Istio> gives Calico <Calico>''s config; a re-run writes nothing; Remove gives stock back' -ForEach $livePairs {
        $stock = Get-StockPath $Istio
        $calicoFile = Join-Path $modern $CalicoFile
        $image = Get-Image $calicoFile
        $ns = New-InjectorNamespace ('i' + ($Istio -replace '\.', '')) ([IO.File]::ReadAllText($stock))
        $before = Get-LiveConfig $ns
        $r = Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion $Calico -DikastesImage $image -IstioVersion $Istio -Confirm:$false
        $r.Action | Should -Be 'Created'
        $got = (Get-LiveConfig $ns) -split "`n"
        if ($Istio -like '1.6.*' -or $Istio -like '1.7.*') {
            $at = [Array]::IndexOf($got, 'injectedAnnotations:')
            $got = @($got[0..($at - 1)]) + @($got[($at + 2)..($got.Count - 1)])
        }
        ($got -join "`n") | Should -BeExactly ((Get-ConfigBody $calicoFile) -join "`n")
        $rv = (Invoke-TestKubectl -n $ns get configmap istio-sidecar-injector -o 'jsonpath={.metadata.resourceVersion}').Output
        (Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion $Calico -DikastesImage $image -IstioVersion $Istio -Confirm:$false).Action | Should -Be 'Unchanged'
        (Invoke-TestKubectl -n $ns get configmap istio-sidecar-injector -o 'jsonpath={.metadata.resourceVersion}').Output | Should -Be $rv
        (Remove-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -Confirm:$false).Action | Should -Be 'Removed'
        Get-LiveConfig $ns | Should -BeExactly $before
    }

    It 'Several revisions and no -Revision: the command names them and changes nothing; -Revision picks one' {
        $text = [IO.File]::ReadAllText((Get-StockPath '1.15.2'))
        $ns = New-InjectorNamespace 'revs' $text
        $file = Join-Path $work "$ns-canary.yaml"
        [IO.File]::WriteAllText($file, ($text -replace '(?m)^  namespace: istio-system$', "  namespace: $ns" -replace '(?m)^  name: istio-sidecar-injector$', '  name: istio-sidecar-injector-canary'))
        (Invoke-TestKubectl create -f $file).ExitCode | Should -Be 0
        $err = $null
        Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion 3.25.2 -IstioVersion 1.15.2 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'IstioRevisionAmbiguous*'
        $err[0].Exception.Message | Should -Match 'canary \(istio-sidecar-injector-canary\)'
        $err[0].Exception.Message | Should -Match 'default \(istio-sidecar-injector\)'
        Get-LiveConfig $ns | Should -Not -Match 'dikastes'
        $r = Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -Revision canary -CalicoVersion 3.25.2 -IstioVersion 1.15.2 -Confirm:$false
        $r.Target | Should -Be "$ns/istio-sidecar-injector-canary"
        Get-LiveConfig $ns 'istio-sidecar-injector-canary' | Should -Match '- name: dikastes'
        Get-LiveConfig $ns | Should -Not -Match 'dikastes'
        Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -Revision nosuch -CalicoVersion 3.25.2 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'IstioRevisionNotFound*'
    }

    It 'Istio 1.28 without native sidecars is refused (NativeSidecarsOff) and nothing is written; with them on the templates are added' {
        $ns = New-InjectorNamespace 'native' (New-Stock128ConfigMap)
        New-Istiod $ns ''
        $before = Get-LiveConfig $ns
        $nodeName = "$prefix-old-node"
        $node = "{""apiVersion"":""v1"",""kind"":""Node"",""metadata"":{""name"":""$nodeName""},""status"":{""nodeInfo"":{""kubeletVersion"":""v1.29.4"",""architecture"":""amd64"",""bootID"":"""",""containerRuntimeVersion"":"""",""kernelVersion"":"""",""kubeProxyVersion"":"""",""machineID"":"""",""operatingSystem"":""linux"",""osImage"":"""",""systemUUID"":""""}}}"
        $nodeFile = Join-Path $work 'node.json'
        [IO.File]::WriteAllText($nodeFile, $node)
        (Invoke-TestKubectl create -f $nodeFile).ExitCode | Should -Be 0
        try {
            $err = $null
            Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion 3.31.7 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NativeSidecarsOff*'
            $err[0].Exception.Message | Should -Match 'v1.29.4'
            $err[0].Exception.Message | Should -Match '11857'
            Get-LiveConfig $ns | Should -BeExactly $before
            Invoke-TestKubectl -n $ns get configmap istio-sidecar-injector-calicoalp-backup | ForEach-Object ExitCode | Should -Not -Be 0

            Invoke-TestKubectl -n $ns set env deployment/istiod ENABLE_NATIVE_SIDECARS=true | Out-Null
            $r = Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion 3.31.7 -Confirm:$false
            $r.Action | Should -Be 'Created'
            $r.IstioVersion | Should -Be '1.28.1'
            $after = Get-LiveConfig $ns
            $after | Should -Match '(?m)^  dikastes: \|$'
            $after | Should -Match '(?m)^  dikastes-gateway: \|$'
            $after.StartsWith($before) | Should -BeTrue
            (Remove-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -Confirm:$false).Action | Should -Be 'Removed'
            Get-LiveConfig $ns | Should -BeExactly $before
        }
        finally {
            Invoke-TestKubectl delete node $nodeName --ignore-not-found | Out-Null
        }
    }

    It 'Istio 1.28 installed by istioctl: the live edit is refused with InjectorManagedByInstaller; -OverlayFormat writes the overlay instead' {
        $ns = New-InjectorNamespace 'managed' (New-Stock128ConfigMap @{ 'install.operator.istio.io/owning-resource' = 'installed-state' })
        New-Istiod $ns 'true'
        $before = Get-LiveConfig $ns
        $err = $null
        Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion 3.31.7 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InjectorManagedByInstaller*'
        $err[0].ErrorDetails.RecommendedAction + $err[0].Exception.Message | Should -Match 'OverlayFormat'
        Get-LiveConfig $ns | Should -BeExactly $before
        $overlay = Join-Path $work 'overlay.yaml'
        $o = Set-IstioInjectorPatch -OverlayFormat IstioOperator -OutFile $overlay -CalicoVersion 3.31.7 -Confirm:$false
        $o.Action | Should -Be 'Created'
        [IO.File]::ReadAllText($overlay) | Should -Match 'kind: IstioOperator'
        [IO.File]::ReadAllText($overlay) | Should -Match 'image: quay.io/calico/dikastes:v3.31.7'
        (Set-IstioInjectorPatch -OverlayFormat IstioOperator -OutFile $overlay -CalicoVersion 3.31.7 -Confirm:$false).Action | Should -Be 'Unchanged'
        # -Force edits anyway, with a warning
        $w = $null
        $r = Set-IstioInjectorPatch -Kubeconfig $kc -Context admin -Namespace $ns -CalicoVersion 3.31.7 -Force -Confirm:$false -WarningVariable w -WarningAction SilentlyContinue
        $r.Action | Should -Be 'Created'
        ($w -join ' ') | Should -Match 'installed-state'
    }
}
