using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CalicoAlp.Testing.Faults.Tests;

/// <summary>
/// A tiny HTTPS upstream with its own self-signed CA certificate. Routes:
/// /echo... echoes method, path, query, Authorization, body (status via ?status=N);
/// /api/v1/namespaces/default/configmaps/cm: GET, PUT (409 on stale metadata.resourceVersion), PATCH (bumps resourceVersion).
/// </summary>
internal sealed class UpstreamServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly X509Certificate2 certificate;
    private readonly object gate = new();
    private int resourceVersion = 1;
    private int hits;

    private UpstreamServer()
    {
        certificate = Certificates.CreateSelfSignedServerCertificate("FaultProxy test upstream");
        CaPem = Certificates.ToPem(certificate);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        app = builder.Build();
        ((IApplicationBuilder)app).Run(HandleAsync);
    }

    public Uri Uri { get; private set; } = null!;
    public string CaPem { get; }
    public int Hits => Volatile.Read(ref hits);

    public int ResourceVersion
    {
        get { lock (gate) { return resourceVersion; } }
    }

    public static async Task<UpstreamServer> StartAsync()
    {
        var server = new UpstreamServer();
        await server.app.StartAsync();
        var address = server.app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        server.Uri = new Uri($"https://127.0.0.1:{new Uri(address).Port}");
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref hits);
        var request = context.Request;
        var body = await new StreamReader(request.Body).ReadToEndAsync(context.RequestAborted);
        var path = request.Path.Value ?? "";
        context.Response.ContentType = "application/json";
        context.Response.Headers["X-Upstream"] = "yes";
        if (path.StartsWith("/echo", StringComparison.Ordinal))
        {
            if (int.TryParse(request.Query["status"], out var status))
            {
                context.Response.StatusCode = status;
            }
            await context.Response.WriteAsJsonAsync(new
            {
                method = request.Method,
                path,
                query = request.QueryString.Value,
                authorization = request.Headers.Authorization.ToString(),
                contentType = request.ContentType,
                custom = request.Headers["X-Custom"].ToString(),
                body,
            });
            return;
        }
        if (path == "/api/v1/namespaces/default/configmaps/cm")
        {
            int code;
            int rv;
            lock (gate)
            {
                code = 200;
                if (HttpMethods.IsPut(request.Method))
                {
                    var sent = JsonDocument.Parse(body).RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString();
                    if (sent != resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        code = 409;
                    }
                    else
                    {
                        resourceVersion++;
                    }
                }
                else if (HttpMethods.IsPatch(request.Method))
                {
                    resourceVersion++;
                }
                rv = resourceVersion;
            }
            context.Response.StatusCode = code;
            if (code == 409)
            {
                await context.Response.WriteAsJsonAsync(new { kind = "Status", apiVersion = "v1", status = "Failure", reason = "Conflict", code = 409 });
                return;
            }
            await context.Response.WriteAsJsonAsync(new { kind = "ConfigMap", apiVersion = "v1", metadata = new { name = "cm", @namespace = "default", resourceVersion = rv.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            return;
        }
        context.Response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        certificate.Dispose();
    }
}
