using System;
using System.Collections.Generic;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace CalicoAlp.Testing.Faults;

/// <summary>What a fault does to a matching request.</summary>
public abstract record FaultAction
{
    private protected FaultAction() { }

    /// <summary>True when the action answers the request itself (nothing is forwarded).</summary>
    public abstract bool IsTerminal { get; }

    /// <summary>Short kind name: status, delay, drop, callback.</summary>
    public abstract string Kind { get; }
}

/// <summary>Answers with <paramref name="StatusCode"/> and a Kubernetes Status body; optional Retry-After (seconds).</summary>
public sealed record StatusFault(int StatusCode, int? RetryAfterSeconds = null, string? Message = null, string? Reason = null) : FaultAction
{
    public override bool IsTerminal => true;
    public override string Kind => "status";
}

/// <summary>Waits before going on (to the next rule, then upstream). Non-terminal: combine with a later status rule for "slow 504".</summary>
public sealed record DelayFault(TimeSpan Delay) : FaultAction
{
    public override bool IsTerminal => false;
    public override string Kind => "delay";
}

/// <summary>Aborts the client's TCP connection without any response (with HTTP/2 every stream on that connection dies).</summary>
public sealed record DropFault : FaultAction
{
    public override bool IsTerminal => true;
    public override string Kind => "drop";
}

/// <summary>Runs a callback before forwarding (e.g. a concurrent writer bumping resourceVersion). Non-terminal.</summary>
public sealed record CallbackFault(Func<FaultRequestContext, Task> Callback) : FaultAction
{
    public override bool IsTerminal => false;
    public override string Kind => "callback";
}

/// <summary>The request a fault is applied to (given to callbacks).</summary>
public sealed record FaultRequestContext(string Method, string Path, string Query, HttpRequestHeaders Headers, FaultProxy Proxy, CancellationToken CancellationToken);

/// <summary>
/// An immutable fault rule: match (method and/or path regex; both optional), how often (count and/or seeded probability), and an action.
/// Build with the fluent helpers: <c>FaultRule.For("PUT", "/configmaps/").Once().Respond(429, retryAfterSeconds: 1)</c>.
/// </summary>
public sealed record FaultRule
{
    /// <summary>Optional name, shown in the request log and counters. Defaults to "&lt;kind&gt;#&lt;id&gt;".</summary>
    public string? Name { get; init; }

    /// <summary>HTTP method to match (case-insensitive); null matches any.</summary>
    public string? Method { get; init; }

    /// <summary>Regex matched against the request path (without the query string); null matches any.</summary>
    public string? PathPattern { get; init; }

    /// <summary>Apply to at most the next N matching requests (after the probability roll); null = unlimited.</summary>
    public int? Count { get; init; }

    /// <summary>Probability in [0,1] that a matching request is faulted; null = always.</summary>
    public double? Probability { get; init; }

    /// <summary>Seed for the rule's own Random (used with <see cref="Probability"/>).</summary>
    public int Seed { get; init; }

    /// <summary>The action; required.</summary>
    public FaultAction? Action { get; init; }

    public static FaultRule Any() => new();

    public static FaultRule For(string? method = null, string? pathPattern = null) => new() { Method = method, PathPattern = pathPattern };

    public FaultRule Named(string name) => this with { Name = name };
    public FaultRule Times(int count) => count < 0 ? throw new ArgumentOutOfRangeException(nameof(count)) : this with { Count = count };
    public FaultRule Once() => Times(1);
    public FaultRule WithProbability(double probability, int seed = 0) =>
        probability is < 0 or > 1 or double.NaN ? throw new ArgumentOutOfRangeException(nameof(probability)) : this with { Probability = probability, Seed = seed };

    public FaultRule Respond(int statusCode, int? retryAfterSeconds = null, string? message = null, string? reason = null) =>
        this with { Action = new StatusFault(statusCode, retryAfterSeconds, message, reason) };
    public FaultRule Delay(TimeSpan delay) => this with { Action = new DelayFault(delay) };
    public FaultRule Drop() => this with { Action = new DropFault() };
    public FaultRule Before(Func<FaultRequestContext, Task> callback) => this with { Action = new CallbackFault(callback) };
    public FaultRule Before(Func<Task> callback) => Before(_ => callback());

    internal Regex? CompilePath() => PathPattern is null ? null : new Regex(PathPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>A rule installed in a proxy, with its counters.</summary>
public sealed class FaultHandle
{
    private readonly Regex? path;
    private readonly Random random;
    private int matched;
    private int applied;

    internal FaultHandle(long id, FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule.Action, "rule.Action");
        Id = id;
        Rule = rule;
        Name = rule.Name ?? $"{rule.Action.Kind}#{id}";
        path = rule.CompilePath();
        random = new Random(rule.Seed);
    }

    public long Id { get; }
    public string Name { get; }
    public FaultRule Rule { get; }
    public FaultAction Action => Rule.Action!;

    /// <summary>Requests that matched method/path while the rule was installed and not exhausted.</summary>
    public int Matched => Volatile.Read(ref matched);

    /// <summary>Times the action was applied.</summary>
    public int Applied => Volatile.Read(ref applied);

    public bool Exhausted => Rule.Count is int c && Applied >= c;

    /// <summary>Caller holds the proxy's rule lock.</summary>
    internal bool TryApply(string method, string requestPath)
    {
        if (Exhausted)
        {
            return false;
        }
        if (Rule.Method is not null && !string.Equals(Rule.Method, method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        if (path is not null && !path.IsMatch(requestPath))
        {
            return false;
        }
        Interlocked.Increment(ref matched);
        if (Rule.Probability is double p && random.NextDouble() >= p)
        {
            return false;
        }
        Interlocked.Increment(ref applied);
        return true;
    }

    public override string ToString() => $"{Name} ({Action.Kind}, applied {Applied}{(Rule.Count is int c ? "/" + c : "")})";
}

/// <summary>What happened to a request.</summary>
public enum RequestOutcome
{
    /// <summary>Forwarded upstream; <see cref="RecordedRequest.StatusCode"/> is upstream's.</summary>
    Forwarded,
    /// <summary>Answered by a status fault.</summary>
    Injected,
    /// <summary>Connection dropped by a drop fault.</summary>
    Dropped,
    /// <summary>Upstream failed (connection/TLS); answered 502, or aborted if the response had started.</summary>
    UpstreamError,
    /// <summary>The client went away (or a callback failed) before an answer.</summary>
    Aborted,
}

/// <summary>One request seen by the proxy (control endpoint requests are not recorded).</summary>
public sealed record RecordedRequest(
    long Sequence,
    DateTimeOffset Started,
    string Method,
    string Path,
    string Query,
    string Protocol,
    int? StatusCode,
    RequestOutcome Outcome,
    bool FaultInjected,
    IReadOnlyList<string> Faults,
    TimeSpan Duration,
    string? Error);
