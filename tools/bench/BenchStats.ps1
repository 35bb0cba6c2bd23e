# Helpers of the benchmark scripts that time fresh processes (dot-source this file).

function Get-LoadAverage {
    if (Test-Path /proc/loadavg) { ((Get-Content /proc/loadavg -Raw) -split ' ')[0..2] -join ' ' } else { 'n/a' }
}

function Get-BenchStats([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $n = $sorted.Count
    $median = if ($n % 2) { $sorted[($n - 1) / 2] } else { ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2 }
    [pscustomobject]@{ Median = $median; Min = $sorted[0]; Max = $sorted[-1]; Runs = $n }
}

function Invoke-BenchProcess([string[]] $Command, [string] $Script) {
    # One fresh process; returns its wall time and the key=value pairs of its 'BENCH ' lines.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $exe = $Command[0]
    $rest = @($Command | Select-Object -Skip 1)
    $lines = & $exe @rest -NoProfile -NonInteractive -Command $Script 2>&1
    $sw.Stop()
    if ($LASTEXITCODE -ne 0) { $lines | Write-Host; throw "Bench process failed (exit code $LASTEXITCODE)." }
    $result = @{ Wall = $sw.Elapsed.TotalSeconds }
    foreach ($l in $lines) {
        if ("$l" -match '^BENCH (.*)$') {
            foreach ($kv in $Matches[1] -split ' ') { $k, $v = $kv -split '=', 2; $result[$k] = $v }
        }
    }
    $result
}
