using System;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace CalicoAlp.Testing.Faults;

/// <summary>
/// JSON rule for the control endpoint (POST /__faultproxy/faults). Property names are camelCase, case-insensitive.
/// action: "status" (status, retryAfterSeconds, message, reason), "delay" (delayMs), "drop",
/// or "write" (write: a request the proxy sends upstream before forwarding the matching one — the concurrent writer).
/// </summary>
public sealed class FaultRuleDto
{
    public string? Name { get; set; }
    public string? Method { get; set; }
    public string? Path { get; set; }
    public int? Count { get; set; }
    public double? Probability { get; set; }
    public int? Seed { get; set; }
    public string? Action { get; set; }
    public int? Status { get; set; }
    public int? RetryAfterSeconds { get; set; }
    public string? Message { get; set; }
    public string? Reason { get; set; }
    public int? DelayMs { get; set; }
    public UpstreamWriteDto? Write { get; set; }

    public FaultRule ToRule()
    {
        var rule = new FaultRule { Name = Name, Method = Method, PathPattern = Path, Count = Count, Probability = Probability, Seed = Seed ?? 0 };
        if (Count is < 0)
        {
            throw new ArgumentException("count must be >= 0");
        }
        if (Probability is < 0 or > 1)
        {
            throw new ArgumentException("probability must be within [0,1]");
        }
        _ = rule.CompilePath(); // validate the regex now
        return (Action ?? "").ToLowerInvariant() switch
        {
            "status" => rule.Respond(Status ?? throw new ArgumentException("status action needs 'status'"), RetryAfterSeconds, Message, Reason),
            "delay" => rule.Delay(TimeSpan.FromMilliseconds(DelayMs ?? throw new ArgumentException("delay action needs 'delayMs'"))),
            "drop" => rule.Drop(),
            "write" => rule.Before((Write ?? throw new ArgumentException("write action needs 'write'")).SendAsync),
            _ => throw new ArgumentException("action must be one of status, delay, drop, write"),
        };
    }
}

/// <summary>A request sent upstream by a "write" rule. Authorization defaults to the intercepted request's.</summary>
public sealed class UpstreamWriteDto
{
    public string Method { get; set; } = "PATCH";
    public string? Path { get; set; }
    public string? Body { get; set; }
    public string ContentType { get; set; } = "application/merge-patch+json";
    public string? Authorization { get; set; }

    internal async Task SendAsync(FaultRequestContext context)
    {
        using var request = new HttpRequestMessage(new HttpMethod(Method), new Uri(Path ?? context.Path, UriKind.Relative));
        if (Body is not null)
        {
            request.Content = new StringContent(Body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(ContentType);
        }
        var authorization = Authorization ?? context.Headers.Authorization?.ToString();
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        using var response = await context.Proxy.SendUpstreamAsync(request, context.CancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(context.CancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"upstream write {Method} {request.RequestUri} returned {(int)response.StatusCode}: {text}");
        }
    }
}

/// <summary>
/// GET /__faultproxy (info), GET|POST|DELETE /__faultproxy/faults, DELETE /__faultproxy/faults/{id},
/// GET|DELETE /__faultproxy/requests, POST /__faultproxy/shutdown.
/// </summary>
internal sealed class ControlEndpoint(FaultProxy proxy)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task HandleAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var sub = (context.Request.Path.Value ?? "")[FaultProxy.ControlPrefix.Length..].TrimEnd('/');
        try
        {
            switch (sub)
            {
                case "" when HttpMethods.IsGet(method):
                    await WriteAsync(context, 200, new { url = proxy.Uri, upstream = proxy.UpstreamUri, pid = Environment.ProcessId, certificatePem = proxy.CertificatePem }).ConfigureAwait(false);
                    return;
                case "/faults" when HttpMethods.IsGet(method):
                    await WriteAsync(context, 200, proxy.Faults.Select(Describe)).ConfigureAwait(false);
                    return;
                case "/faults" when HttpMethods.IsPost(method):
                    var dto = await JsonSerializer.DeserializeAsync<FaultRuleDto>(context.Request.Body, Json, context.RequestAborted).ConfigureAwait(false)
                        ?? throw new ArgumentException("empty rule");
                    var handle = proxy.AddFault(dto.ToRule());
                    await WriteAsync(context, 201, Describe(handle)).ConfigureAwait(false);
                    return;
                case "/faults" when HttpMethods.IsDelete(method):
                    proxy.ClearFaults();
                    context.Response.StatusCode = 204;
                    return;
                case "/requests" when HttpMethods.IsGet(method):
                    await WriteAsync(context, 200, proxy.Requests.Select(r => new
                    {
                        r.Sequence, r.Started, r.Method, r.Path, r.Query, r.Protocol, r.StatusCode,
                        outcome = r.Outcome.ToString(), r.FaultInjected, r.Faults, durationMs = r.Duration.TotalMilliseconds, r.Error,
                    })).ConfigureAwait(false);
                    return;
                case "/requests" when HttpMethods.IsDelete(method):
                    proxy.ClearRequests();
                    context.Response.StatusCode = 204;
                    return;
                case "/shutdown" when HttpMethods.IsPost(method):
                    context.Response.StatusCode = 202;
                    await context.Response.CompleteAsync().ConfigureAwait(false);
                    proxy.RequestShutdown();
                    return;
            }
            if (sub.StartsWith("/faults/", StringComparison.Ordinal) && HttpMethods.IsDelete(method) && long.TryParse(sub["/faults/".Length..], out var id))
            {
                context.Response.StatusCode = proxy.RemoveFault(id) ? 204 : 404;
                return;
            }
            await WriteAsync(context, 404, new { error = $"no control route {method} {context.Request.Path}" }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException)
        {
            await WriteAsync(context, 400, new { error = ex.Message }).ConfigureAwait(false);
        }
    }

    private static object Describe(FaultHandle h) => new
    {
        id = h.Id, name = h.Name, kind = h.Action.Kind, method = h.Rule.Method, path = h.Rule.PathPattern,
        count = h.Rule.Count, probability = h.Rule.Probability, matched = h.Matched, applied = h.Applied, exhausted = h.Exhausted,
    };

    private static async Task WriteAsync(HttpContext context, int status, object value)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, Json, context.RequestAborted).ConfigureAwait(false);
    }
}
