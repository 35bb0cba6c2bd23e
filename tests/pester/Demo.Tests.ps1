# build.ps1 Demo, the README's first command, runs unattended in the test run too: two local control planes of two
# generations (Calico 3.12 + Istio 1.4.2, Calico 3.25 + Istio 1.15.2), Get-AlpStatus failing, one pipeline repairing
# both, Get-AlpStatus passing, Test-AlpRequest decisions, cleanup. The demo exits 1 if a cluster is not healthy after
# the repair or not clean after the cleanup.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestCluster.ps1')
}

Describe 'build.ps1 Demo' -Tag Cluster {
    It 'tells the whole story on two generations and leaves both clusters clean' {
        if ($env:CALICOALP_UNIT -eq '1') { throw 'the demo needs local control planes: this Describe is tagged Cluster' }
        $out = & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') Demo -NoBuild 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0 -Because $out
        $out | Should -Match 'DEMO-RESULT healthy-after-repair=True clean-after-cleanup=True'
        $out | Should -Match 'istio-1\.4\s+Injector\.Dikastes\s+Pass\s+Dikastes calico/dikastes:v3\.12'
        $out | Should -Match 'istio-1\.15\s+AuthorizationService\.Objects\s+Pass\s+.*EnvoyV3 form'
        $out | Should -Match 'Get-AlpStatus -Context istio-1\.15 -Quiet: True'
        $out | Should -Match 'Deny'
    }
}
