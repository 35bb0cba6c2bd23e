<#
.SYNOPSIS
    Bench -Suite Fleet: one cmdlet call on three local control planes at once against the same call on one.
.DESCRIPTION
    Starts (or reuses) three local control planes (tests/cluster/cluster.sh, the default fixture each), gives each
    kubeconfig its own cluster, user and context names (fleet1-admin, fleet2-admin, fleet3-admin), imports the built
    module once and times, alternately, -Runs calls of
        Enable-CalicoAppLayerPolicy -Kubeconfig <the three files> -Context fleet1-admin -WhatIf
        Enable-CalicoAppLayerPolicy -Kubeconfig <the three files> -Context fleet1-admin, fleet2-admin, fleet3-admin -WhatIf
    and the same three with -ThrottleLimit 1 (one after the other, what running them in parallel saves)
    (each call opens its connections, checks the prerequisites, reads the objects and validates the four writes with a
    server-side dry run: read-heavy, nothing is written). Prints the medians (min - max) and their ratio; the target
    is a ratio <= 1.5. Clusters it started are stopped at the end. See docs/performance.md.
.EXAMPLE
    dotnet pwsh ./build.ps1 Bench -Suite Fleet
.EXAMPLE
    dotnet pwsh ./tools/bench/Invoke-FleetBench.ps1 -State /tmp/me-k8s-a, /tmp/me-k8s-b, /tmp/me-k8s-c -Runs 15
#>
[CmdletBinding()]
param(
    # Three cluster state folders (started here when not running; 'a,b,c' from pwsh -File is split too); default:
    # three fresh ones under the temp folder.
    [string[]] $State,
    # Timed calls of each kind (after one warm-up of each).
    [ValidateRange(1, 1000)]
    [int] $Runs = 11,
    # The built module (dotnet pwsh ./build.ps1 Build).
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/CalicoAlp/CalicoAlp.psd1')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
. (Join-Path $PSScriptRoot '../BuildTools.ps1')
. (Join-Path $PSScriptRoot 'BenchStats.ps1')
Assert-BuiltModule $ModulePath

$clusterScript = Get-ClusterScript
$State = @($State | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
if ($State.Count -ne 0 -and $State.Count -ne 3) { throw "-State takes three cluster state folders, not $($State.Count)." }
if (-not $State) { $State = 1..3 | ForEach-Object { Join-Path ([IO.Path]::GetTempPath()) "calicoalp-fleet-$PID-$_" } }
$started = @()
$work = Join-Path ([IO.Path]::GetTempPath()) "calicoalp-fleet-bench-$PID"
New-Item -ItemType Directory -Path $work -Force | Out-Null
try {
    Invoke-Native bash $clusterScript install | Out-Null
    $files = @()
    for ($i = 0; $i -lt 3; $i++) {
        $s = $State[$i]
        & bash $clusterScript status $s *> $null
        if ($LASTEXITCODE -ne 0) {
            Invoke-Native bash $clusterScript start $s | Out-Host
            $started += $s
        }
        Invoke-Native bash $clusterScript fixture $s | Out-Null
        # Same names in every file (calicoalp-local, admin, ...): rename them so that the three files merge.
        $p = "fleet$($i + 1)"
        $text = (Get-Content (Join-Path $s 'kubeconfig') -Raw) -replace 'calicoalp-local', "$p-local" -replace 'calicoalp-(admin|viewer|noaccess)', "$p-user-`$1" -replace '(?m)^(- name|current-context): (admin|viewer|noaccess)$', "`$1: $p-`$2"
        $f = Join-Path $work "$p.kubeconfig"
        Set-Content -Path $f -Value $text -NoNewline
        $files += $f
    }
    # A runspace of its own without a host: the -WhatIf lines go nowhere instead of to the console, and the module is
    # imported once for every call.
    $ps = [PowerShell]::Create()
    [void]$ps.AddScript("Import-Module '$ModulePath'").Invoke()
    $self = [Diagnostics.Process]::GetCurrentProcess()
    $one = @('fleet1-admin')
    $three = @('fleet1-admin', 'fleet2-admin', 'fleet3-admin')
    $cpu = @{ 1 = @(); 3 = @() }
    function Measure-Call([string[]] $Contexts, [int] $ThrottleLimit = 5) {
        $ps.Commands.Clear(); $ps.Streams.ClearStreams()
        [void]$ps.AddCommand('Enable-CalicoAppLayerPolicy').AddParameter('Kubeconfig', $files).AddParameter('Context', $Contexts).AddParameter('WhatIf', $true).AddParameter('ThrottleLimit', $ThrottleLimit)
        $self.Refresh(); $cpu0 = $self.TotalProcessorTime
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $r = @($ps.Invoke())
        $sw.Stop()
        $self.Refresh(); if ($ThrottleLimit -gt 1) { $cpu[$Contexts.Count] += ($self.TotalProcessorTime - $cpu0).TotalMilliseconds }
        if ($ps.Streams.Error.Count -gt 0) { throw "the call failed: $($ps.Streams.Error[0])" }
        if ($r.Count -ne 4 * $Contexts.Count) { throw "expected $(4 * $Contexts.Count) results, got $($r.Count)" }
        $sw.Elapsed.TotalMilliseconds
    }
    [void](Measure-Call $one); [void](Measure-Call $three) # warm-up (JIT, first TLS handshakes)
    $cpu[1] = @(); $cpu[3] = @() # the warm-up is not counted
    $load = Get-LoadAverage
    $t1 = @(); $t3 = @(); $tSerial = @()
    for ($run = 0; $run -lt $Runs; $run++) {
        $t1 += Measure-Call $one
        $t3 += Measure-Call $three
        $tSerial += Measure-Call $three -ThrottleLimit 1
    }
    $s1 = Get-BenchStats $t1
    $s3 = Get-BenchStats $t3
    $sSerial = Get-BenchStats $tSerial
    $ratio = $s3.Median / $s1.Median
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'one control plane, median', $s1.Median, $s1.Min, $s1.Max
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'three control planes at once, median', $s3.Median, $s3.Min, $s3.Max
    '{0,-38} {1,8:N0} ms  ({2:N0} - {3:N0})' -f 'three, one after the other (-ThrottleLimit 1)', $sSerial.Median, $sSerial.Min, $sSerial.Max
    '{0,-38} {1,8:N2}x  (target <= 1.5x); {2} runs each; load average before: {3}; after: {4}' -f 'ratio of the medians', $ratio, $Runs, $load, (Get-LoadAverage)
    # The client's own CPU per call (this process: TLS, JSON, planning); the API servers' CPU is on the same machine.
    '{0,-38} {1,8:N0} ms CPU for one, {2:N0} ms for three (medians)' -f 'module process CPU per call', (Get-BenchStats $cpu[1]).Median, (Get-BenchStats $cpu[3]).Median
    $ps.Dispose()
}
finally {
    foreach ($s in $started) { & bash $clusterScript stop $s | Out-Null }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
