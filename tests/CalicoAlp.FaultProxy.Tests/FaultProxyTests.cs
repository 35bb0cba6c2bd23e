using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace CalicoAlp.Testing.Faults.Tests;

public sealed class FaultProxyTests : IAsyncLifetime
{
    private const string ConfigMapPath = "/api/v1/namespaces/default/configmaps/cm";
    private UpstreamServer upstream = null!;
    private FaultProxy proxy = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        upstream = await UpstreamServer.StartAsync();
        proxy = await FaultProxy.StartAsync(upstream.Uri, upstream.CaPem);
        client = new HttpClient(proxy.CreateTrustingHandler()) { BaseAddress = proxy.Uri, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token-abc");
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await proxy.DisposeAsync();
        await upstream.DisposeAsync();
    }

    private static HttpRequestMessage Request(HttpMethod method, string uri, string version = "1.1") => new(method, uri)
    {
        Version = Version.Parse(version),
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task PassThrough_ForwardsMethodPathQueryHeadersAndBody(string version)
    {
        using var request = Request(HttpMethod.Post, "/echo/a%2Fb/c?labelSelector=app%3Dx&limit=5", version);
        request.Headers.Add("X-Custom", "custom-value");
        request.Content = new StringContent("{\"hello\":1}", Encoding.UTF8, "application/json");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(version), response.Version);
        Assert.Equal("yes", response.Headers.GetValues("X-Upstream").Single());
        using var echo = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = echo.RootElement;
        Assert.Equal("POST", root.GetProperty("method").GetString());
        Assert.Equal("?labelSelector=app%3Dx&limit=5", root.GetProperty("query").GetString());
        Assert.Equal("Bearer token-abc", root.GetProperty("authorization").GetString());
        Assert.Equal("custom-value", root.GetProperty("custom").GetString());
        Assert.StartsWith("application/json", root.GetProperty("contentType").GetString());
        Assert.Equal("{\"hello\":1}", root.GetProperty("body").GetString());
        Assert.Equal("/echo/a%2Fb/c", root.GetProperty("path").GetString());

        var recorded = Assert.Single(proxy.Requests);
        Assert.Equal(("POST", "/echo/a%2Fb/c", 200, RequestOutcome.Forwarded, false), (recorded.Method, recorded.Path, recorded.StatusCode, recorded.Outcome, recorded.FaultInjected));
    }

    [Fact]
    public async Task PassThrough_KeepsUpstreamStatusCodes()
    {
        using var response = await client.GetAsync("/echo?status=404");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(404, proxy.Requests.Single().StatusCode);
    }

    [Fact]
    public async Task Status429_WithRetryAfter_ThenPassesThroughOnNextCall()
    {
        var fault = proxy.AddFault(FaultRule.For("GET", "^/echo").Once().Respond(429, retryAfterSeconds: 2).Named("throttle"));

        using (var throttled = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), throttled.Headers.RetryAfter?.Delta);
            using var status = JsonDocument.Parse(await throttled.Content.ReadAsStringAsync());
            Assert.Equal("Status", status.RootElement.GetProperty("kind").GetString());
            Assert.Equal("Failure", status.RootElement.GetProperty("status").GetString());
            Assert.Equal("TooManyRequests", status.RootElement.GetProperty("reason").GetString());
            Assert.Equal(429, status.RootElement.GetProperty("code").GetInt32());
            Assert.Equal(2, status.RootElement.GetProperty("details").GetProperty("retryAfterSeconds").GetInt32());
        }
        Assert.Equal(0, upstream.Hits);

        using (var ok = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.Equal(1, upstream.Hits);
        Assert.Equal(1, fault.Applied);
        Assert.True(fault.Exhausted);

        var log = proxy.Requests;
        Assert.Equal(2, log.Count);
        Assert.Equal((429, RequestOutcome.Injected, true), (log[0].StatusCode, log[0].Outcome, log[0].FaultInjected));
        Assert.Equal(new[] { "throttle" }, log[0].Faults);
        Assert.Equal((200, RequestOutcome.Forwarded, false), (log[1].StatusCode, log[1].Outcome, log[1].FaultInjected));
    }

    [Theory]
    [InlineData(500, "InternalError")]
    [InlineData(503, "ServiceUnavailable")]
    [InlineData(504, "Timeout")]
    public async Task StatusFaults_ReturnKubernetesStatusBody(int code, string reason)
    {
        proxy.AddFault(FaultRule.Any().Times(2).Respond(code));

        for (var i = 0; i < 2; i++)
        {
            using var response = await client.GetAsync("/echo");
            Assert.Equal(code, (int)response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var status = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(reason, status.GetProperty("reason").GetString());
            Assert.Equal(code, status.GetProperty("code").GetInt32());
            Assert.False(status.TryGetProperty("details", out _));
        }
        using (var third = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        }
    }

    [Fact]
    public async Task MethodAndPathMatching_OnlyFaultsMatchingRequests()
    {
        var fault = proxy.AddFault(FaultRule.For("PUT", "/configmaps/cm$").Respond(503));

        using (var get = await client.GetAsync(ConfigMapPath))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        using (var putOther = await client.PutAsync("/echo/configmaps/other", new StringContent("{}")))
        {
            Assert.Equal(HttpStatusCode.OK, putOther.StatusCode);
        }
        using (var put = await client.PutAsync(ConfigMapPath, new StringContent("{\"metadata\":{\"resourceVersion\":\"1\"}}")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
        }
        Assert.Equal(1, fault.Applied);
        Assert.Equal(1, fault.Matched);
    }

    [Fact]
    public async Task Latency_DelaysBeforeForwarding_AndCombinesWithLaterStatusRule()
    {
        proxy.AddFault(FaultRule.For(pathPattern: "^/echo").Once().Delay(TimeSpan.FromMilliseconds(600)));
        var sw = Stopwatch.StartNew();
        using (var slow = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        }
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(550), $"took {sw.Elapsed}");
        Assert.Equal(1, upstream.Hits);

        // delay is non-terminal: "slow then 504"
        proxy.AddFault(FaultRule.Any().Once().Delay(TimeSpan.FromMilliseconds(300)));
        proxy.AddFault(FaultRule.Any().Once().Respond(504));
        sw.Restart();
        using (var timeout = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, timeout.StatusCode);
        }
        Assert.True(sw.Elapsed >= TimeSpan.FromMilliseconds(250), $"took {sw.Elapsed}");
        Assert.Equal(2, proxy.Requests[1].Faults.Count);
        Assert.Equal(1, upstream.Hits);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Drop_AbortsConnectionWithoutResponse_ThenRecovers(string version)
    {
        var fault = proxy.AddFault(FaultRule.For("GET").Once().Drop());

        using (var request = Request(HttpMethod.Get, "/echo", version))
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => client.SendAsync(request));
            Assert.True(ex is HttpRequestException or IOException, ex.ToString());
        }
        Assert.Equal(0, upstream.Hits);
        Assert.Equal(1, fault.Applied);

        using (var request = Request(HttpMethod.Get, "/echo", version))
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var log = proxy.Requests;
        Assert.Equal((null, RequestOutcome.Dropped, true), (log[0].StatusCode, log[0].Outcome, log[0].FaultInjected));
        Assert.Equal(RequestOutcome.Forwarded, log[1].Outcome);
    }

    [Fact]
    public async Task Drop_OnWarmPooledConnection_IsSeenByClient_NotRetriedTransparently()
    {
        (await client.GetAsync("/echo")).Dispose(); // warm the pooled connection
        proxy.AddFault(FaultRule.For("PUT").Once().Drop());

        await Assert.ThrowsAsync<HttpRequestException>(() => client.PutAsync("/echo", new StringContent("x")));

        Assert.Equal(new[] { RequestOutcome.Forwarded, RequestOutcome.Dropped }, proxy.Requests.Select(r => r.Outcome));
        Assert.Equal(1, upstream.Hits);
    }

    [Fact]
    public async Task ConcurrentWriterHook_RunsBeforeForwarding_SoTheWriteHitsConflict()
    {
        using var direct = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, ch, e) => Certificates.ValidateAgainst(Certificates.ParsePem(upstream.CaPem), c, ch, e) },
        })
        { BaseAddress = upstream.Uri };

        var current = await client.GetFromJsonAsync<JsonElement>(ConfigMapPath);
        var rv = current.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        var hookRan = 0;
        var hitsSeenByHook = -1;
        var fault = proxy.AddFault(FaultRule.For("PUT", "configmaps/cm$").Once().Named("writer").Before(async () =>
        {
            hitsSeenByHook = upstream.Hits;
            Interlocked.Increment(ref hookRan);
            using var patch = await direct.PatchAsync(ConfigMapPath, new StringContent("{}", Encoding.UTF8, "application/merge-patch+json"));
            patch.EnsureSuccessStatusCode();
        }));

        using (var put = await client.PutAsync(ConfigMapPath, new StringContent($"{{\"metadata\":{{\"resourceVersion\":\"{rv}\"}}}}")))
        {
            Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        }
        Assert.Equal(1, hookRan);
        Assert.Equal(1, hitsSeenByHook); // only the GET had reached upstream when the hook ran
        Assert.Equal(1, fault.Applied);
        var log = proxy.Requests.Last();
        Assert.Equal((409, RequestOutcome.Forwarded, true), (log.StatusCode, log.Outcome, log.FaultInjected));

        // re-read and retry passes: the hook was single-shot
        var fresh = await client.GetFromJsonAsync<JsonElement>(ConfigMapPath);
        var freshRv = fresh.GetProperty("metadata").GetProperty("resourceVersion").GetString();
        using var retry = await client.PutAsync(ConfigMapPath, new StringContent($"{{\"metadata\":{{\"resourceVersion\":\"{freshRv}\"}}}}"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, hookRan);
    }

    [Fact]
    public async Task CallbackSeesRequest_AndFailureAnswers500()
    {
        string? seenAuth = null;
        proxy.AddFault(FaultRule.Any().Once().Before(ctx =>
        {
            seenAuth = ctx.Headers.Authorization?.ToString();
            return Task.CompletedTask;
        }));
        proxy.AddFault(FaultRule.Any().Once().Before(() => throw new InvalidOperationException("boom")));

        using var response = await client.GetAsync("/echo");
        Assert.Equal("Bearer token-abc", seenAuth);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("boom", proxy.Requests.Single().Error);
        Assert.Equal(0, upstream.Hits);
    }

    [Fact]
    public async Task Probability_IsSeededAndDeterministic()
    {
        async Task<string> RunAsync(int seed)
        {
            proxy.ClearFaults();
            proxy.AddFault(FaultRule.Any().WithProbability(0.5, seed).Respond(500));
            var pattern = new StringBuilder();
            for (var i = 0; i < 16; i++)
            {
                using var response = await client.GetAsync("/echo");
                pattern.Append(response.IsSuccessStatusCode ? '.' : 'X');
            }
            return pattern.ToString();
        }

        var first = await RunAsync(42);
        var second = await RunAsync(42);
        Assert.Equal(first, second);
        Assert.Contains('X', first);
        Assert.Contains('.', first);
        var expected = new Random(42);
        Assert.Equal(string.Concat(Enumerable.Range(0, 16).Select(_ => expected.NextDouble() < 0.5 ? 'X' : '.')), first);
    }

    [Fact]
    public async Task Faults_AreThreadSafe_CountIsExactUnderConcurrency()
    {
        var fault = proxy.AddFault(FaultRule.Any().Times(10).Respond(503));
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await client.GetAsync("/echo");
            return (int)response.StatusCode;
        }));
        Assert.Equal(10, results.Count(s => s == 503));
        Assert.Equal(30, results.Count(s => s == 200));
        Assert.Equal(10, fault.Applied);
        Assert.Equal(40, proxy.Requests.Count);
        Assert.Equal(40, proxy.Requests.Select(r => r.Sequence).Distinct().Count());
    }

    [Fact]
    public async Task ClearFaults_AndClearRequests()
    {
        proxy.AddFault(FaultRule.Any().Respond(500));
        using (var faulted = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, faulted.StatusCode);
        }
        proxy.ClearFaults();
        Assert.Empty(proxy.Faults);
        using (var ok = await client.GetAsync("/echo"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        Assert.Equal(2, proxy.Requests.Count);
        proxy.ClearRequests();
        Assert.Empty(proxy.Requests);
    }

    [Fact]
    public async Task ControlEndpoint_FromSeparateClient()
    {
        using var control = new HttpClient(proxy.CreateTrustingHandler()) { BaseAddress = new Uri(proxy.Uri, "/__faultproxy/") };

        using (var added = await control.PostAsync("faults", new StringContent(
            """{"name":"cm-throttle","method":"GET","path":"configmaps/cm$","count":1,"action":"status","status":429,"retryAfterSeconds":1}""",
            Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            var body = await added.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("cm-throttle", body.GetProperty("name").GetString());
        }
        using (var bad = await control.PostAsync("faults", new StringContent("""{"action":"explode"}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        using (var badRegex = await control.PostAsync("faults", new StringContent("""{"action":"drop","path":"("}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRegex.StatusCode);
        }

        using (var throttled = await client.GetAsync(ConfigMapPath))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter?.Delta);
        }
        using (var ok = await client.GetAsync(ConfigMapPath))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        var faults = await control.GetFromJsonAsync<JsonElement>("faults");
        var only = Assert.Single(faults.EnumerateArray());
        Assert.Equal(1, only.GetProperty("applied").GetInt32());
        Assert.True(only.GetProperty("exhausted").GetBoolean());

        var requests = await control.GetFromJsonAsync<JsonElement>("requests");
        Assert.Equal(2, requests.GetArrayLength()); // control calls are not recorded
        Assert.Equal(429, requests[0].GetProperty("statusCode").GetInt32());
        Assert.Equal("Injected", requests[0].GetProperty("outcome").GetString());
        Assert.True(requests[0].GetProperty("faultInjected").GetBoolean());
        Assert.Equal(ConfigMapPath, requests[1].GetProperty("path").GetString());

        // "write" action: the proxy itself is the concurrent writer (for Pester)
        var rv = (await client.GetFromJsonAsync<JsonElement>(ConfigMapPath)).GetProperty("metadata").GetProperty("resourceVersion").GetString();
        using (var added = await control.PostAsync("faults", new StringContent(
            """{"method":"PUT","path":"configmaps/cm$","count":1,"action":"write","write":{"method":"PATCH","body":"{}"}}""",
            Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        }
        using (var put = await client.PutAsync(ConfigMapPath, new StringContent($"{{\"metadata\":{{\"resourceVersion\":\"{rv}\"}}}}")))
        {
            Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        }

        using (var cleared = await control.DeleteAsync("faults"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }
        Assert.Empty(proxy.Faults);
        using (var cleared = await control.DeleteAsync("requests"))
        {
            Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        }
        Assert.Empty(proxy.Requests);

        var info = await control.GetFromJsonAsync<JsonElement>("");
        Assert.Equal(proxy.Uri.ToString(), info.GetProperty("url").GetString());
        using (var unknown = await control.GetAsync("nope"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
    }

    [Fact]
    public async Task ClientThatDoesNotTrustProxyCertificate_Fails()
    {
        using var untrusting = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = proxy.Uri };
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/echo"));
        Assert.IsType<AuthenticationException>(ex.InnerException);

        // a client trusting some other CA fails too
        using var other = Certificates.CreateSelfSignedServerCertificate("someone else");
        var otherAnchors = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(other.RawData));
        using var wrongCa = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, ch, e) => Certificates.ValidateAgainst(otherAnchors, c, ch, e) },
        })
        { BaseAddress = proxy.Uri };
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongCa.GetAsync("/echo"));
        Assert.Equal(0, upstream.Hits);
    }

    [Fact]
    public async Task ProxyVerifiesUpstreamAgainstGivenCaOnly()
    {
        using var other = Certificates.CreateSelfSignedServerCertificate("not the upstream CA");
        await using var misconfigured = await FaultProxy.StartAsync(upstream.Uri, Certificates.ToPem(other));
        using var c = new HttpClient(misconfigured.CreateTrustingHandler()) { BaseAddress = misconfigured.Uri };

        using var response = await c.GetAsync("/echo");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var recorded = misconfigured.Requests.Single();
        Assert.Equal(RequestOutcome.UpstreamError, recorded.Outcome);
        Assert.Contains("SSL", recorded.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, upstream.Hits);
    }

    [Fact]
    public void Certificate_IsSelfSignedCaForLoopback()
    {
        using var cert = X509Certificate2.CreateFromPem(proxy.CertificatePem);
        Assert.Equal(cert.Subject, cert.Issuer);
        Assert.True(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains(IPAddress.Loopback, san.EnumerateIPAddresses());
        Assert.Contains("localhost", san.EnumerateDnsNames());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", proxy.CertificatePem);
        Assert.Equal("127.0.0.1", proxy.Uri.Host);
    }
}
