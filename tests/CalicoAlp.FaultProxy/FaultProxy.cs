using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CalicoAlp.Testing.Faults;

/// <summary>Start options.</summary>
public sealed record FaultProxyOptions
{
    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Offer h2 via ALPN besides http/1.1.</summary>
    public bool EnableHttp2 { get; init; } = true;
}

/// <summary>
/// A fault-injecting HTTPS reverse proxy on 127.0.0.1 in front of one upstream (a kube-apiserver).
/// Every request is forwarded unless a <see cref="FaultRule"/> says otherwise. Rules are checked in the order added:
/// non-terminal actions (delay, callback) are applied and checking goes on; the first terminal one (status, drop) ends it.
/// Paths under <see cref="ControlPrefix"/> are the control endpoint and are never forwarded or recorded.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    public const string ControlPrefix = "/__faultproxy";

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Alt-Svc",
    };

    private readonly WebApplication app;
    private readonly HttpClient upstreamClient;
    private readonly X509Certificate2 certificate;
    private readonly X509Certificate2Collection upstreamCa;
    private readonly string upstreamBase;
    private readonly ControlEndpoint control;
    private readonly object ruleLock = new();
    private readonly List<FaultHandle> rules = new();
    private readonly ConcurrentQueue<RecordedRequest> log = new();
    private readonly ConcurrentDictionary<string, ConnectionContext> connections = new();
    private readonly TaskCompletionSource shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextRuleId;
    private long nextSequence;
    private int disposed;

    private FaultProxy(Uri upstream, X509Certificate2Collection upstreamCa, FaultProxyOptions options)
    {
        UpstreamUri = upstream;
        this.upstreamCa = upstreamCa;
        upstreamBase = upstream.GetLeftPart(UriPartial.Path).TrimEnd('/');
        certificate = Certificates.CreateSelfSignedServerCertificate();
        CertificatePem = Certificates.ToPem(certificate);
        control = new ControlEndpoint(this);

        upstreamClient = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, chain, errors) => Certificates.ValidateAgainst(upstreamCa, cert, chain, errors),
            },
        })
        { Timeout = Timeout.InfiniteTimeSpan };

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                listen.Protocols = options.EnableHttp2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                // Runs on the raw TCP connection (before TLS) so a drop fault can abort the socket itself.
                listen.Use(next => async connection =>
                {
                    connections[connection.ConnectionId] = connection;
                    try
                    {
                        await next(connection).ConfigureAwait(false);
                    }
                    finally
                    {
                        connections.TryRemove(connection.ConnectionId, out _);
                    }
                });
                listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = certificate });
            });
        });
        app = builder.Build();
        ((IApplicationBuilder)app).Run(HandleAsync);
    }

    /// <summary>The proxy's base URL, e.g. https://127.0.0.1:40123/.</summary>
    public Uri Uri { get; private set; } = null!;

    public Uri UpstreamUri { get; }

    /// <summary>PEM of the proxy's self-signed (CA-capable) certificate: use as certificate-authority-data.</summary>
    public string CertificatePem { get; }

    /// <summary>The proxy's certificate (with private key).</summary>
    public X509Certificate2 Certificate => certificate;

    /// <summary>Snapshot of the request log, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => log.ToArray();

    /// <summary>Snapshot of the installed rules with their counters.</summary>
    public IReadOnlyList<FaultHandle> Faults
    {
        get
        {
            lock (ruleLock)
            {
                return rules.ToArray();
            }
        }
    }

    /// <summary>Completes when POST /__faultproxy/shutdown is received (used by the process host).</summary>
    public Task ShutdownRequested => shutdownRequested.Task;

    public static Task<FaultProxy> StartAsync(string upstreamUri, string upstreamCaPem, FaultProxyOptions? options = null, CancellationToken cancellationToken = default) =>
        StartAsync(new Uri(upstreamUri), upstreamCaPem, options, cancellationToken);

    /// <summary>Starts a proxy in front of <paramref name="upstreamUri"/>, trusting only the CA(s) in <paramref name="upstreamCaPem"/>.</summary>
    public static async Task<FaultProxy> StartAsync(Uri upstreamUri, string upstreamCaPem, FaultProxyOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upstreamUri);
        if (upstreamUri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("The upstream must be https.", nameof(upstreamUri));
        }
        var proxy = new FaultProxy(upstreamUri, Certificates.ParsePem(upstreamCaPem), options ?? new FaultProxyOptions());
        try
        {
            await proxy.app.StartAsync(cancellationToken).ConfigureAwait(false);
            var addresses = proxy.app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            var port = new Uri(addresses.First()).Port;
            proxy.Uri = new Uri($"https://127.0.0.1:{port}/");
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Installs a rule (after the existing ones) and returns its handle (counters).</summary>
    public FaultHandle AddFault(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var handle = new FaultHandle(Interlocked.Increment(ref nextRuleId), rule);
        lock (ruleLock)
        {
            rules.Add(handle);
        }
        return handle;
    }

    public bool RemoveFault(FaultHandle handle)
    {
        lock (ruleLock)
        {
            return rules.Remove(handle);
        }
    }

    internal bool RemoveFault(long id)
    {
        lock (ruleLock)
        {
            return rules.RemoveAll(r => r.Id == id) > 0;
        }
    }

    public void ClearFaults()
    {
        lock (ruleLock)
        {
            rules.Clear();
        }
    }

    public void ClearRequests() => log.Clear();

    /// <summary>A handler that trusts exactly this proxy's certificate (TLS verification on).</summary>
    public SocketsHttpHandler CreateTrustingHandler()
    {
        var anchors = Certificates.ParsePem(CertificatePem);
        return new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, chain, errors) => Certificates.ValidateAgainst(anchors, cert, chain, errors),
            },
        };
    }

    /// <summary>Sends a request straight to the upstream (bypassing faults and the log), e.g. from a concurrent-writer callback.
    /// A relative request URI is resolved against the upstream.</summary>
    public Task<HttpResponseMessage> SendUpstreamAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequestUri is null || !request.RequestUri.IsAbsoluteUri)
        {
            request.RequestUri = UpstreamTarget(request.RequestUri?.OriginalString ?? "/");
        }
        return upstreamClient.SendAsync(request, cancellationToken);
    }

    internal void RequestShutdown() => shutdownRequested.TrySetResult();

    private Uri UpstreamTarget(string pathAndQuery)
    {
        if (!pathAndQuery.StartsWith('/'))
        {
            pathAndQuery = "/" + pathAndQuery;
        }
        return new Uri(upstreamBase + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }

    private List<FaultHandle> SelectFaults(string method, string path)
    {
        var selected = new List<FaultHandle>();
        lock (ruleLock)
        {
            foreach (var rule in rules)
            {
                if (rule.TryApply(method, path))
                {
                    selected.Add(rule);
                    if (rule.Action.IsTerminal)
                    {
                        break;
                    }
                }
            }
        }
        return selected;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (path.Equals(ControlPrefix, StringComparison.Ordinal) || path.StartsWith(ControlPrefix + "/", StringComparison.Ordinal))
        {
            await control.HandleAsync(context).ConfigureAwait(false);
            return;
        }

        var sequence = Interlocked.Increment(ref nextSequence);
        var started = DateTimeOffset.UtcNow;
        var stopwatch = Stopwatch.StartNew();
        var query = request.QueryString.Value ?? "";
        var aborted = context.RequestAborted;
        var faults = SelectFaults(request.Method, path);
        int? status = null;
        var outcome = RequestOutcome.Forwarded;
        string? error = null;

        using var upstreamRequest = BuildUpstreamRequest(context);
        try
        {
            FaultAction? terminal = null;
            foreach (var fault in faults)
            {
                switch (fault.Action)
                {
                    case DelayFault delay:
                        await Task.Delay(delay.Delay, aborted).ConfigureAwait(false);
                        break;
                    case CallbackFault callback:
                        try
                        {
                            await callback.Callback(new FaultRequestContext(request.Method, path, query, upstreamRequest.Headers, this, aborted)).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (!aborted.IsCancellationRequested)
                        {
                            error = $"fault callback {fault.Name} failed: {ex.GetType().Name}: {ex.Message}";
                            outcome = RequestOutcome.Aborted;
                            status = 500;
                            await WriteStatusAsync(context, new StatusFault(500, Message: "faultproxy: " + error)).ConfigureAwait(false);
                            return;
                        }
                        break;
                    default:
                        terminal = fault.Action;
                        break;
                }
            }

            switch (terminal)
            {
                case StatusFault statusFault:
                    outcome = RequestOutcome.Injected;
                    status = statusFault.StatusCode;
                    await WriteStatusAsync(context, statusFault).ConfigureAwait(false);
                    return;
                case DropFault:
                    outcome = RequestOutcome.Dropped;
                    DropConnection(context);
                    return;
            }

            HttpResponseMessage response;
            try
            {
                response = await upstreamClient.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, aborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (!aborted.IsCancellationRequested && ex is HttpRequestException or IOException or OperationCanceledException)
            {
                outcome = RequestOutcome.UpstreamError;
                status = 502;
                error = Describe(ex);
                await WriteStatusAsync(context, new StatusFault(502, Message: "faultproxy: upstream request failed: " + error, Reason: "ServiceUnavailable")).ConfigureAwait(false);
                return;
            }

            using (response)
            {
                status = (int)response.StatusCode;
                context.Response.StatusCode = status.Value;
                CopyHeaders(response.Headers, context.Response.Headers);
                CopyHeaders(response.Content.Headers, context.Response.Headers);
                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync(aborted).ConfigureAwait(false);
                    await body.CopyToAsync(context.Response.Body, aborted).ConfigureAwait(false);
                }
                catch (Exception ex) when (!aborted.IsCancellationRequested && ex is HttpRequestException or IOException)
                {
                    outcome = RequestOutcome.UpstreamError;
                    error = Describe(ex);
                    context.Abort();
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            outcome = RequestOutcome.Aborted;
            error ??= "client aborted the request";
        }
        catch (IOException ex) when (aborted.IsCancellationRequested)
        {
            outcome = RequestOutcome.Aborted;
            error ??= ex.Message;
        }
        finally
        {
            log.Enqueue(new RecordedRequest(
                sequence, started, request.Method, path, query, request.Protocol, status, outcome,
                faults.Count > 0, faults.Select(f => f.Name).ToArray(), stopwatch.Elapsed, error));
        }
    }

    private HttpRequestMessage BuildUpstreamRequest(HttpContext context)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var target = rawTarget is { Length: > 0 } && rawTarget[0] == '/'
            ? rawTarget
            : request.PathBase + request.Path + request.QueryString;
        var message = new HttpRequestMessage(new HttpMethod(request.Method), UpstreamTarget(target))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        var canHaveBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? (request.ContentLength > 0);
        if (canHaveBody)
        {
            message.Content = new StreamContent(request.Body);
        }
        foreach (var header in request.Headers)
        {
            if (header.Key.StartsWith(':') || HopByHop.Contains(header.Key))
            {
                continue;
            }
            if (!message.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value))
            {
                message.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }
        return message;
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var header in from)
        {
            if (!HopByHop.Contains(header.Key))
            {
                to[header.Key] = header.Value.ToArray();
            }
        }
    }

    private void DropConnection(HttpContext context)
    {
        if (connections.TryGetValue(context.Connection.Id, out var connection))
        {
            connection.Abort(new ConnectionAbortedException("faultproxy: drop fault"));
        }
        context.Abort();
    }

    private static string Describe(Exception ex)
    {
        var message = $"{ex.GetType().Name}: {ex.Message}";
        return ex.InnerException is null ? message : $"{message} ({ex.InnerException.GetType().Name}: {ex.InnerException.Message})";
    }

    internal static async Task WriteStatusAsync(HttpContext context, StatusFault fault)
    {
        var response = context.Response;
        response.StatusCode = fault.StatusCode;
        response.ContentType = "application/json";
        if (fault.RetryAfterSeconds is int retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        await response.Body.WriteAsync(StatusBody(fault), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A Kubernetes metav1.Status (kind Status, status Failure) for the fault, UTF-8 JSON.</summary>
    public static byte[] StatusBody(StatusFault fault)
    {
        var reason = fault.Reason ?? fault.StatusCode switch
        {
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            410 => "Expired",
            422 => "Invalid",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            504 => "Timeout",
            _ => null,
        };
        var message = fault.Message ?? fault.StatusCode switch
        {
            429 => "faultproxy: too many requests, please try again later",
            500 => "faultproxy: an error on the server has prevented the request from succeeding",
            503 => "faultproxy: the server is currently unable to handle the request",
            504 => "faultproxy: the server was unable to return a response in the time allotted",
            _ => $"faultproxy: injected status {fault.StatusCode}",
        };
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", "Status");
            json.WriteString("apiVersion", "v1");
            json.WriteStartObject("metadata");
            json.WriteEndObject();
            json.WriteString("status", "Failure");
            json.WriteString("message", message);
            if (reason is not null)
            {
                json.WriteString("reason", reason);
            }
            if (fault.RetryAfterSeconds is int retryAfter)
            {
                json.WriteStartObject("details");
                json.WriteNumber("retryAfterSeconds", retryAfter);
                json.WriteEndObject();
            }
            json.WriteNumber("code", fault.StatusCode);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await app.StopAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            // not started, or shutdown timed out: connections are aborted anyway
        }
        await app.DisposeAsync().ConfigureAwait(false);
        upstreamClient.Dispose();
        certificate.Dispose();
        foreach (var ca in upstreamCa)
        {
            ca.Dispose();
        }
        shutdownRequested.TrySetResult();
    }
}
