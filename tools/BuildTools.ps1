# Helpers shared by build.ps1 and the scripts under tools/ (dot-source this file).

function Invoke-Native {
    # A plain (non-advanced) function, so that arguments such as --verbosity minimal reach the native command untouched.
    $file, $rest = $args
    & $file @rest
    if ($LASTEXITCODE -ne 0) { throw "'$file $($rest -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-RepositoryRoot {
    [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '..'))
}

function Get-NuGetPackagesRoot {
    ((& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
}

function Get-PesterManifest {
    $manifest = Join-Path (Get-NuGetPackagesRoot) 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $manifest)) { throw "Pester 5.7.1 not found at $manifest (the test project's restore downloads it)." }
    $manifest
}

function Get-ClusterScript {
    Join-Path (Get-RepositoryRoot) 'tests/cluster/cluster.sh'
}

function Start-TestCluster {
    # A local control plane with the test fixture in a fresh state folder; the only output is that folder.
    $state = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-cluster-$PID"
    $script = Get-ClusterScript
    Invoke-Native bash $script install | Out-Host
    Invoke-Native bash $script start $state | Out-Host
    Invoke-Native bash $script fixture $state | Out-Host
    $state
}

function Stop-TestCluster([string] $State) {
    if ($State) { & bash (Get-ClusterScript) stop $State }
}

function Assert-BuiltModule([string] $ModulePath) {
    # The bench scripts run against the built module; say how to get it rather than fail deep inside.
    if (-not (Test-Path -LiteralPath $ModulePath)) {
        throw "Built module not found at '$ModulePath': run 'dotnet pwsh ./build.ps1 Build' first (or pass -ModulePath)."
    }
}
