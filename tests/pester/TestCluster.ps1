# Shared by the Pester files: the built module and the real local control plane.
# build.ps1 Test sets CALICOALP_MODULE and CALICOALP_TEST_STATE; run alone, this starts (and registers to stop) a cluster.
# Describe blocks that need the cluster carry -Tag Cluster: build.ps1 Test -Unit (CALICOALP_UNIT=1) leaves them out, and
# Get-TestClusterState throws there, so an unmarked one fails instead of starting a cluster.
. (Join-Path $PSScriptRoot '../SharedFolder.ps1')
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModulePath = if ($env:CALICOALP_MODULE) { $env:CALICOALP_MODULE } else { Join-Path $RepoRoot 'out/CalicoAlp/CalicoAlp.psd1' }
$script:ClusterScript = Join-Path $RepoRoot 'tests/cluster/cluster.sh'

function Get-TestClusterState {
    # -Generation: a cluster laid with another Calico + Istio generation (tests/cluster/README.md, "Generations"), in its
    # own statedir ($env:CALICOALP_GENERATION_STATE_ROOT-<generation>, else a temp folder); started here if needed and
    # stopped by Stop-OwnedTestCluster. Without it: the default generation's cluster, as before.
    param([string] $Generation)
    if ($Generation -and $Generation -ne 'calico3.12-istio1.4.2') { return Get-GenerationClusterState $Generation }
    if ($env:CALICOALP_UNIT -eq '1') {
        throw 'this test needs the cluster: mark it Cluster (Describe ... -Tag Cluster). CALICOALP_UNIT=1 (build.ps1 Test -Unit) runs only the tests that need no cluster and starts none.'
    }
    if ($env:CALICOALP_TEST_STATE -and (Test-Path (Join-Path $env:CALICOALP_TEST_STATE 'kubeconfig'))) {
        return $env:CALICOALP_TEST_STATE
    }
    $state = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-pester-$PID"
    & bash $ClusterScript install | Out-Null
    & bash $ClusterScript start $state | Out-Null
    & bash $ClusterScript fixture $state | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "could not start the test cluster in $state" }
    # Run alone (not from build.ps1 Test): this file owns the cluster; its AfterAll calls Stop-OwnedTestCluster.
    $script:OwnedClusterState = $state
    $env:CALICOALP_TEST_STATE = $state
    return $state
}

function Get-GenerationClusterState([string] $Generation) {
    if ($env:CALICOALP_UNIT -eq '1') { throw "this test needs the $Generation cluster: mark it Cluster (Describe ... -Tag Cluster)." }
    $state = if ($env:CALICOALP_GENERATION_STATE_ROOT) { "$($env:CALICOALP_GENERATION_STATE_ROOT)-$Generation" } else { Join-Path ([IO.Path]::GetTempPath()) "calicoalp-pester-$PID-$Generation" }
    $running = $false
    if (Test-Path (Join-Path $state 'kubeconfig')) {
        & bash $ClusterScript status $state *> $null
        $running = $LASTEXITCODE -eq 0
    }
    if (-not $running) {
        & bash $ClusterScript install | Out-Null
        & bash $ClusterScript start $state | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "could not start the $Generation test cluster in $state" }
        $script:OwnedGenerationStates += @($state)
    }
    & bash $ClusterScript fixture $state $Generation | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "could not lay the $Generation fixture in $state" }
    return $state
}

function Invoke-TestKubectl {
    # A plain function: kubectl's own flags (-n, -p, -o) pass through untouched.
    $out = & kubectl --kubeconfig (Join-Path $env:CALICOALP_TEST_STATE 'kubeconfig') --context admin @args 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
}

function Reset-AlpTestState {
    Invoke-TestKubectl -n istio-system delete serviceentries.networking.istio.io/dikastes destinationrules.networking.istio.io/dikastes-mtls envoyfilters.networking.istio.io/ext-authz --ignore-not-found | Out-Null
    $r = Invoke-TestKubectl patch felixconfigurations.crd.projectcalico.org default --type=merge -p '{"metadata":{"annotations":{"calicoalp.io/previous-policy-sync-path-prefix":null}},"spec":{"policySyncPathPrefix":null}}'
    if ($r.ExitCode -ne 0) { throw "reset failed: $($r.Output)" }
}

function Get-FelixPrefix {
    (Invoke-TestKubectl get felixconfigurations.crd.projectcalico.org default -o 'jsonpath={.spec.policySyncPathPrefix}').Output.Trim()
}

$script:OwnedGenerationStates = @()

function Stop-OwnedTestCluster {
    foreach ($state in $script:OwnedGenerationStates) { & bash $ClusterScript stop $state | Out-Null }
    $script:OwnedGenerationStates = @()
    if ($script:OwnedClusterState) {
        & bash $ClusterScript stop $script:OwnedClusterState | Out-Null
        Remove-Item Env:CALICOALP_TEST_STATE -ErrorAction SilentlyContinue
        $script:OwnedClusterState = $null
    }
}
