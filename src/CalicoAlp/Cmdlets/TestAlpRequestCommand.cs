using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Policy.Requests;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Answers "will this request be allowed, and why?" offline, from Calico policy files.</para>
    /// <para type="description">Reads Calico v3 / CRD resources, Kubernetes NetworkPolicies and Namespace/ServiceAccount/Pod
    /// objects from -PolicyPath (files or folders) and evaluates the request the way Dikastes does (newest release, or
    /// -CalicoVersion). Request objects (CSV rows, PSCustomObjects) can be piped in: their properties named like the
    /// parameters are read as those parameters; parameters given on the command line win.</para>
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "AlpRequest", DefaultParameterSetName = RequestSet)]
    [OutputType(typeof(RequestDecision))]
    [OutputType(typeof(ReplaySummary), ParameterSetName = [AccessLogSet])]
    public sealed partial class TestAlpRequestCommand : KubeCmdlet, IRequestParameterSource
    {
        private const string RequestSet = "Request";
        private const string AccessLogSet = "AccessLog";
        // Piped objects: one pipeline-bound parameter that the cmdlet reads (RequestParameters.ReadFrom) instead of ~20
        // parameters that PowerShell would look up by property name for every object. Every other parameter is also in
        // this set, bound from the command line only.
        private const string InputObjectSet = "InputObject";

        /// <summary>Envoy access log files, folders or wildcards (JSON lines or the default text format) to replay.</summary>
        [Parameter(Mandatory = true, ParameterSetName = AccessLogSet)]
        [ValidateNotNullOrEmpty]
        public string[] AccessLogPath { get; set; } = [];

        /// <summary>Output only the summary, not the denied requests.</summary>
        [Parameter(ParameterSetName = AccessLogSet)]
        public SwitchParameter SummaryOnly { get; set; }

        /// <summary>A request object (CSV row, PSCustomObject, any object) whose properties are named like this cmdlet's
        /// request parameters.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        public PSObject? InputObject { get; set; }

        /// <summary>Policy files or folders (recursive: *.yaml, *.yml, *.json). Without it (single requests), the policies,
        /// namespaces and service accounts are read from the cluster (-Kubeconfig/-Context).</summary>
        // Not Mandatory in either set (the access-log replay checks it itself): a mandatory pipeline-bound parameter that
        // only the AccessLog set has would make PowerShell pick that set for piped request objects.
        [Parameter(Position = 0, ParameterSetName = AccessLogSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Position = 0, ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Position = 0, ParameterSetName = InputObjectSet)]
        public string[] PolicyPath { get; set; } = [];

        /// <summary>Cluster mode: the source pod as namespace/name; fills -SourceNamespace/-SourceServiceAccount/-SourceLabels/-SourceIP from it.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidatePattern(AlpRequestBuilder.PodReferencePattern)]
        public string? Source { get; set; }

        /// <summary>Cluster mode: the destination pod as namespace/name; fills the -Destination* workload fields and IP from it.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidatePattern(AlpRequestBuilder.PodReferencePattern)]
        public string? Destination { get; set; }

        /// <summary>SPIFFE URI of the client (spiffe://&lt;td&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;). Empty = plaintext. Omitted: derived
        /// from -SourceNamespace/-SourceServiceAccount when the source is a workload (Istio mTLS), else plaintext.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [AllowEmptyString]
        [AllowNull]
        public string? SourcePrincipal { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? SourceIP { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateRange(0, 65535)]
        public int SourcePort { get; set; } = AlpRequestBuilder.DefaultSourcePort;

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string? SourceNamespace { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? SourceServiceAccount { get; set; }

        /// <summary>Pod labels of the source workload. Omit this, -SourceNamespace and -SourceServiceAccount for an address outside the cluster (unless -SourceIP is a loaded Pod's IP).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public Hashtable? SourceLabels { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string? DestinationNamespace { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? DestinationServiceAccount { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public Hashtable? DestinationLabels { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? DestinationIP { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateRange(0, 65535)]
        public int DestinationPort { get; set; } = AlpRequestBuilder.DefaultDestinationPort;

        /// <summary>Profiles of the destination endpoint, in order (empty allowed). Default: [kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;].</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [AllowEmptyCollection]
        public string[]? DestinationProfile { get; set; }

        /// <summary>TCP (default), UDP, SCTP, ICMP, ICMPv6, UDPLite, or a protocol number.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string Protocol { get; set; } = "TCP";

        /// <summary>HTTP method; omit together with -Path for a non-HTTP TCP connection check.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? Method { get; set; }

        /// <summary>HTTP :path (may include ?query).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? Path { get; set; }

        /// <summary>Emulate an older Dikastes (e.g. 3.29, 3.30.2, 3.31.6). Default: newest.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ArgumentCompleter(typeof(CalicoVersionCompleter))]
        public string? CalicoVersion { get; set; }

        /// <summary>Ingress (default, what Dikastes judges) or Egress (the source's egress policy).</summary>
        // A string, not the Core enum: PowerShell reads parameter types before the module's load context is hooked up.
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateSet("Ingress", "Egress", IgnoreCase = true)]
        public string Direction { get; set; } = "Ingress";

        /// <summary>Do not collect the evaluation trace.</summary>
        [Parameter(ParameterSetName = RequestSet)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public SwitchParameter NoTrace { get; set; }

        private PolicyEngineCache? _engines;
        private PolicyEngine? _builderEngine;
        private AlpRequestBuilder? _builder;
        private HashSet<string>? _commandLine;
        private int _decisions;

        private PolicyEngineCache Engines => _engines ??= new PolicyEngineCache(WriteVerbose);

        protected override void BeginProcessing()
        {
            // The parameters given on the command line (before any pipeline input is bound): they win over piped properties.
            _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AccessLogSet)
            {
                ReplayAccessLogs();
                return;
            }
            RequestParameters p;
            if (ParameterSetName == InputObjectSet)
            {
                try
                {
                    p = RequestParameters.ReadFrom(InputObject!, RequestParameters.FromCommand(this, _commandLine!), _commandLine!);
                }
                catch (AlpException ex)
                {
                    WriteError(ToErrorRecord(ex));
                    return;
                }
            }
            else
            {
                p = RequestParameters.FromCommand(this, MyInvocation.BoundParameters.Keys);
            }
            Decide(p);
        }

        private void Decide(RequestParameters p)
        {
            PolicyEngine engine;
            Core.Kube.KubeApi? api = null;
            try
            {
                var behavior = Engines.Behavior(p.CalicoVersion);
                if (p.PolicyPath.Length == 0 && CurrentTargets() is { Count: > 1 } targets)
                {
                    DecideOnClusters(p, targets, behavior);
                    return;
                }
                if (p.PolicyPath.Length == 0)
                {
                    api = Connect();
                    var cluster = api;
                    engine = Engines.ForCluster($"context '{cluster.ContextName}' ({cluster.Server})",
                        () => Run(ct => Core.Policy.Cluster.ClusterPolicySource.LoadAsync(cluster, ct)), behavior);
                }
                else
                {
                    if (p.Source != null || p.Destination != null)
                    {
                        throw new AlpException("PodNeedsCluster", AlpErrorKind.InvalidArgument,
                            "-Source and -Destination name live pods: omit -PolicyPath to read policies and pods from the cluster, or describe the workloads with -Source*/-Destination* parameters.", "PolicyPath");
                    }
                    var paths = p.PolicyPath;
                    engine = Engines.ForFiles(SessionState.Path.CurrentLocation.Path + "\u0001" + string.Join("\u0001", paths), () => ResolvePaths(paths), behavior,
                        CancellationToken, WriteWarning);
                }
            }
            catch (AlpException ex)
            {
                Terminate(ex);
                return;
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException(); // Ctrl+C while the policy files were read
            }
            try
            {
                (WorkloadInfo Workload, IPAddress? IP)? sourcePod = api != null && p.Source != null ? Run(ct => Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, p.Source, ct)) : null;
                (WorkloadInfo Workload, IPAddress? IP)? destinationPod = api != null && p.Destination != null ? Run(ct => Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, p.Destination, ct)) : null;
                var fields = p.ToFields();
                fields.SourceWorkload = sourcePod?.Workload;
                fields.SourceIP ??= sourcePod?.IP;
                fields.DestinationWorkload = destinationPod?.Workload;
                fields.DestinationIP ??= destinationPod?.IP;
                var request = BuilderFor(engine).Build(fields);
                // The first record's trace is made at once; from the second record of the same pipeline on, the engine is
                // shared by all the output, so a trace can be worked out later without keeping an engine per output object.
                if (p.NoTrace || VerboseWanted() || ++_decisions == 1)
                {
                    var trace = p.NoTrace ? null : new List<TraceStep>();
                    var decision = engine.Evaluate(request, trace);
                    if (trace != null) foreach (var step in trace) WriteVerbose(step.ToString());
                    WriteObject(new RequestDecision(decision, request, engine.Behavior, trace ?? new List<TraceStep>()) { Context = api?.ContextName });
                }
                else
                {
                    WriteObject(RequestDecision.WithDeferredTrace(engine, request, api?.ContextName));
                }
            }
            catch (AlpException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
        }

        // Cluster mode over several contexts: each cluster's policies are read once (concurrently, on first use) and kept
        // for the pipeline, with a request builder per engine; a cluster that fails gives an error for it alone.
        private readonly ConcurrentDictionary<string, Lazy<Task<PolicyEngine>>> _clusterEngines = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<PolicyEngine, AlpRequestBuilder> _clusterBuilders = new();

        private void DecideOnClusters(RequestParameters p, IReadOnlyList<ClusterTarget> targets, CalicoBehavior behavior)
        {
            var wantTrace = !p.NoTrace && VerboseWanted();
            RunClusters(targets, async (cluster, ct) =>
            {
                var api = cluster.Api;
                var engine = await _clusterEngines.GetOrAdd(cluster.Target.Key + "\n" + behavior, _ => new Lazy<Task<PolicyEngine>>(async () =>
                {
                    var set = await Core.Policy.Cluster.ClusterPolicySource.LoadAsync(api, ct).ConfigureAwait(false);
                    cluster.WriteVerbose($"Compiled {set.Policies.Count} policies of context '{api.ContextName}' ({api.Server}) for Calico {behavior}");
                    return PolicyEngine.Compile(set, behavior);
                })).Value.ConfigureAwait(false);
                var sourcePod = p.Source != null ? await Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, p.Source, ct).ConfigureAwait(false) : ((WorkloadInfo Workload, IPAddress? IP)?)null;
                var destinationPod = p.Destination != null ? await Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, p.Destination, ct).ConfigureAwait(false) : ((WorkloadInfo Workload, IPAddress? IP)?)null;
                var fields = p.ToFields();
                fields.SourceWorkload = sourcePod?.Workload;
                fields.SourceIP ??= sourcePod?.IP;
                fields.DestinationWorkload = destinationPod?.Workload;
                fields.DestinationIP ??= destinationPod?.IP;
                var builder = _clusterBuilders.GetOrAdd(engine, e => new AlpRequestBuilder(e, cluster.WriteWarning));
                var request = builder.Build(fields);
                if (wantTrace)
                {
                    var trace = new List<TraceStep>();
                    var decision = engine.Evaluate(request, trace);
                    foreach (var step in trace) cluster.WriteVerbose(step.ToString());
                    cluster.WriteObject(new RequestDecision(decision, request, engine.Behavior, trace) { Context = api.ContextName });
                }
                else if (p.NoTrace)
                {
                    cluster.WriteObject(new RequestDecision(engine.Evaluate(request, null), request, engine.Behavior, new List<TraceStep>()) { Context = api.ContextName });
                }
                else
                {
                    cluster.WriteObject(RequestDecision.WithDeferredTrace(engine, request, api.ContextName));
                }
            });
        }

        /// <summary>The request builder of an engine (warnings go to the Warning stream); kept while the engine is the same.</summary>
        private AlpRequestBuilder BuilderFor(PolicyEngine engine)
        {
            if (_builder == null || !ReferenceEquals(engine, _builderEngine))
            {
                _builder = new AlpRequestBuilder(engine, WriteWarning);
                _builderEngine = engine;
            }
            return _builder;
        }

        /// <summary>
        /// False only when the Verbose stream is certainly off (-Verbose:$false, or no -Verbose and $VerbosePreference
        /// SilentlyContinue or Ignore): then the trace steps are not formatted for WriteVerbose, which would drop them.
        /// </summary>
        private bool VerboseWanted()
        {
            if (MyInvocation.BoundParameters.TryGetValue("Verbose", out var bound))
            {
                return bound is not SwitchParameter s || s.IsPresent;
            }
            var preference = SessionState.PSVariable.GetValue("VerbosePreference");
            if (preference != null && LanguagePrimitives.TryConvertTo<ActionPreference>(preference, CultureInfo.InvariantCulture, out var p))
            {
                return p != ActionPreference.SilentlyContinue && p != ActionPreference.Ignore;
            }
            return true;
        }

        /// <summary>-PolicyPath resolved against the current location (files and folders).</summary>
        private List<string> ResolvePaths(string[] paths) => ProviderPaths.Resolve(this, paths, "PolicyPathNotFound", "Policy path");
    }
}
