<#
.SYNOPSIS
    Writes a synthetic Envoy inbound sidecar access log (for Test-AlpRequest -AccessLogPath tests and measurements).
.DESCRIPTION
    Json: one Envoy/Istio JSON access log object per line (method, path, protocol, response_code, upstream_host,
    downstream_remote_address, downstream_local_address, authority, start_time and, for mTLS clients,
    downstream_peer_uri_san). Text: Envoy's default format followed by Istio 1.4's appended fields.
    The same -Seed gives the same file.
.EXAMPLE
    ./tools/New-EnvoyAccessLog.ps1 -Count 1000000 -Path ./out/access.json -Format Json -Seed 42
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)][ValidateRange(1, [int]::MaxValue)][int] $Count,
    [Parameter(Mandatory)][string] $Path,
    [ValidateSet('Json', 'Text')][string] $Format = 'Json',
    [int] $Seed = 1
)
$ErrorActionPreference = 'Stop'
$rng = [System.Random]::new($Seed)
$methods = 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'
$paths = '/v1/items', '/v1/items/42', '/v2/orders', '/admin/config', '/healthz', '/v1/items?page=2'
$principals = 'spiffe://cluster.local/ns/web/sa/frontend', 'spiffe://cluster.local/ns/web/sa/batch',
    'spiffe://cluster.local/ns/other/sa/default', ''
$full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
$dir = [System.IO.Path]::GetDirectoryName($full)
if ($dir) { [void][System.IO.Directory]::CreateDirectory($dir) }
$writer = [System.IO.StreamWriter]::new($full, $false, [System.Text.UTF8Encoding]::new($false), 1MB)
try {
    $start = [datetime]::new(2026, 11, 26, 0, 0, 0, [DateTimeKind]::Utc)
    $sb = [System.Text.StringBuilder]::new(512)
    for ($i = 0; $i -lt $Count; $i++) {
        $m = $methods[$rng.Next($methods.Count)]
        $p = $paths[$rng.Next($paths.Count)]
        $san = $principals[$rng.Next($principals.Count)]
        $src = "10.1.$($rng.Next(4)).$($rng.Next(1, 50)):$($rng.Next(32768, 61000))"
        $time = $start.AddMilliseconds($i).ToString('yyyy-MM-ddTHH:mm:ss.fffZ', [cultureinfo]::InvariantCulture)
        $code = if ($rng.Next(10) -eq 0) { 403 } else { 200 }
        [void]$sb.Clear()
        if ($Format -eq 'Json') {
            [void]$sb.Append('{"start_time":"').Append($time).Append('","method":"').Append($m).Append('","path":"').Append($p).
                Append('","protocol":"HTTP/1.1","response_code":').Append($code).Append(',"response_flags":"-","bytes_received":0,"bytes_sent":12,"duration":1,').
                Append('"upstream_service_time":"1","x_forwarded_for":null,"user_agent":"curl/8.0","request_id":"').Append($i).
                Append('","authority":"api.web:8080","upstream_host":"127.0.0.1:8080","upstream_cluster":"inbound|8080||api.web.svc.cluster.local",').
                Append('"upstream_local_address":"127.0.0.1:41000","downstream_local_address":"10.2.0.7:8080","downstream_remote_address":"').Append($src).
                Append('","requested_server_name":"outbound_.8080_._.api.web.svc.cluster.local","route_name":"default"')
            if ($san) { [void]$sb.Append(',"downstream_peer_uri_san":"').Append($san).Append('"') }
            [void]$sb.Append('}')
        }
        else {
            # Envoy default + Istio 1.4 tail; the text format has no peer SAN (replay uses -SourcePrincipal or plaintext).
            [void]$sb.Append('[').Append($time).Append('] "').Append($m).Append(' ').Append($p).Append(' HTTP/1.1" ').Append($code).
                Append(' - 0 12 1 1 "-" "curl/8.0" "').Append($i).Append('" "api.web:8080" "127.0.0.1:8080" inbound|8080||api.web.svc.cluster.local ').
                Append('127.0.0.1:41000 10.2.0.7:8080 ').Append($src).Append(' outbound_.8080_._.api.web.svc.cluster.local default')
        }
        $writer.WriteLine($sb.ToString())
    }
}
finally {
    $writer.Dispose()
}
Get-Item -LiteralPath $full
