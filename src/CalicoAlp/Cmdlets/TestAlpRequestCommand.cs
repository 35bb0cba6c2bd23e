using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Replay;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Answers "will this request be allowed, and why?" offline, from Calico policy files.</para>
    /// <para type="description">Reads Calico v3 / CRD resources, Kubernetes NetworkPolicies and Namespace/ServiceAccount/Pod
    /// objects from -PolicyPath (files or folders) and evaluates the request the way Dikastes does (newest release, or
    /// -CalicoVersion). Every parameter binds from the pipeline by property name, so a CSV of requests can be piped in.</para>
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "AlpRequest", DefaultParameterSetName = RequestSet)]
    [OutputType(typeof(RequestDecision))]
    [OutputType(typeof(ReplaySummary), ParameterSetName = [AccessLogSet])]
    public sealed partial class TestAlpRequestCommand : KubeCmdlet
    {
        private const string RequestSet = "Request";
        private const string AccessLogSet = "AccessLog";
        private readonly Dictionary<string, PolicyEngine> _engines = new(StringComparer.Ordinal);
        // Per-record caches (a pipeline usually binds the same -PolicyPath/-CalicoVersion to every record): resolving a
        // provider path costs more than evaluating a request, so the last resolution is reused while the current
        // location and the -PolicyPath strings are the same.
        private string? _resolvedKey;
        private List<string>? _resolvedPaths;
        private string? _behaviorText;
        private CalicoBehavior? _behavior;
        private PolicyEngine? _lastEngine;
        private int _decisions;
        private List<string>? _lastEnginePaths;
        private CalicoBehavior? _lastEngineBehavior;

        /// <summary>Envoy access log files, folders or wildcards (JSON lines or the default text format) to replay.</summary>
        [Parameter(Mandatory = true, ParameterSetName = AccessLogSet)]
        [ValidateNotNullOrEmpty]
        public string[] AccessLogPath { get; set; } = [];

        /// <summary>Output only the summary, not the denied requests.</summary>
        [Parameter(ParameterSetName = AccessLogSet)]
        public SwitchParameter SummaryOnly { get; set; }

        /// <summary>Policy files or folders (recursive: *.yaml, *.yml, *.json). Without it (single requests), the policies,
        /// namespaces and service accounts are read from the cluster (-Kubeconfig/-Context).</summary>
        // Not Mandatory in either set (the access-log replay checks it itself): a mandatory pipeline-bound parameter that
        // only the AccessLog set has would make PowerShell pick that set for piped request objects.
        [Parameter(Position = 0, ParameterSetName = AccessLogSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(Position = 0, ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        public string[] PolicyPath { get; set; } = [];

        /// <summary>Cluster mode: the source pod as namespace/name; fills -SourceNamespace/-SourceServiceAccount/-SourceLabels/-SourceIP from it.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [ValidatePattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")]
        public string? Source { get; set; }

        /// <summary>Cluster mode: the destination pod as namespace/name; fills the -Destination* workload fields and IP from it.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [ValidatePattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$")]
        public string? Destination { get; set; }

        /// <summary>SPIFFE URI of the client (spiffe://&lt;td&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;). Empty = plaintext. Omitted: derived
        /// from -SourceNamespace/-SourceServiceAccount when the source is a workload (Istio mTLS), else plaintext.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string? SourcePrincipal { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? SourceIP { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [ValidateRange(0, 65535)]
        public int SourcePort { get; set; } = 40000;

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public string? SourceNamespace { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public string? SourceServiceAccount { get; set; }

        /// <summary>Pod labels of the source workload. Omit this, -SourceNamespace and -SourceServiceAccount for an address outside the cluster (unless -SourceIP is a loaded Pod's IP).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public Hashtable? SourceLabels { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? DestinationNamespace { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? DestinationServiceAccount { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public Hashtable? DestinationLabels { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? DestinationIP { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(0, 65535)]
        public int DestinationPort { get; set; } = 80;

        /// <summary>Profiles of the destination endpoint, in order (empty allowed). Default: [kns.&lt;ns&gt;, ksa.&lt;ns&gt;.&lt;sa&gt;].</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyCollection]
        public string[]? DestinationProfile { get; set; }

        /// <summary>TCP (default), UDP, SCTP, ICMP, or a protocol number.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public string Protocol { get; set; } = "TCP";

        /// <summary>HTTP method; omit together with -Path for a non-HTTP TCP connection check.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public string? Method { get; set; }

        /// <summary>HTTP :path (may include ?query).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        public string? Path { get; set; }

        /// <summary>Emulate an older Dikastes (e.g. 3.29, 3.30.2, 3.31.6). Default: newest.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? CalicoVersion { get; set; }

        /// <summary>Ingress (default, what Dikastes judges) or Egress (the source's egress policy).</summary>
        // A string, not the Core enum: PowerShell reads parameter types before the module's load context is hooked up.
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = RequestSet)]
        [ValidateSet("Ingress", "Egress", IgnoreCase = true)]
        public string Direction { get; set; } = "Ingress";

        /// <summary>Do not collect the evaluation trace.</summary>
        [Parameter(ParameterSetName = RequestSet)]
        public SwitchParameter NoTrace { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AccessLogSet)
            {
                ReplayAccessLogs();
                return;
            }
            PolicyEngine engine;
            Core.Kube.KubeApi? api = null;
            try
            {
                if (PolicyPath.Length == 0)
                {
                    api = Connect();
                    engine = ClusterEngine(api, Behavior());
                }
                else
                {
                    if (Source != null || Destination != null)
                    {
                        throw new AlpException("PodNeedsCluster", AlpErrorKind.InvalidArgument,
                            "-Source and -Destination name live pods: omit -PolicyPath to read policies and pods from the cluster, or describe the workloads with -Source*/-Destination* parameters.", "PolicyPath");
                    }
                    engine = EngineFor(ResolvePaths(), Behavior());
                }
            }
            catch (AlpException ex)
            {
                Terminate(ex);
                return;
            }
            try
            {
                (WorkloadInfo Workload, IPAddress? IP)? sourcePod = api != null && Source != null ? Run(ct => Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, Source, ct)) : null;
                (WorkloadInfo Workload, IPAddress? IP)? destinationPod = api != null && Destination != null ? Run(ct => Core.Policy.Cluster.ClusterPolicySource.GetPodAsync(api, Destination, ct)) : null;
                var request = BuildRequest(engine, sourcePod, destinationPod);
                // The first record's trace is made at once; from the second record of the same pipeline on, the engine is
                // shared by all the output, so a trace can be worked out later without keeping an engine per output object.
                if (NoTrace.IsPresent || VerboseWanted() || ++_decisions == 1)
                {
                    var trace = NoTrace.IsPresent ? null : new List<TraceStep>();
                    var decision = engine.Evaluate(request, trace);
                    if (trace != null) foreach (var step in trace) WriteVerbose(step.ToString());
                    WriteObject(new RequestDecision(decision, request, engine.Behavior, trace ?? new List<TraceStep>()));
                }
                else
                {
                    WriteObject(RequestDecision.WithDeferredTrace(engine, request));
                }
            }
            catch (AlpException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
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

        /// <summary>-CalicoVersion parsed (the last value is kept: the same for every record in practice).</summary>
        private CalicoBehavior Behavior()
        {
            if (_behavior == null || !string.Equals(_behaviorText, CalicoVersion, StringComparison.Ordinal))
            {
                _behavior = CalicoBehavior.Parse(CalicoVersion);
                _behaviorText = CalicoVersion;
            }
            return _behavior;
        }

        /// <summary>-PolicyPath resolved against the current location; the last resolution is reused for the same location and strings.</summary>
        private List<string> ResolvePaths()
        {
            var key = SessionState.Path.CurrentLocation.Path + "\u0001" + string.Join("\u0001", PolicyPath);
            if (_resolvedPaths != null && string.Equals(key, _resolvedKey, StringComparison.Ordinal)) return _resolvedPaths;
            var resolved = ResolvePathsUncached();
            _resolvedKey = key;
            _resolvedPaths = resolved;
            return resolved;
        }

        private List<string> ResolvePathsUncached() => ProviderPaths.Resolve(this, PolicyPath, "PolicyPathNotFound", "Policy path");

        /// <summary>Cluster mode: the cluster's policies compiled once per connection and Calico version.</summary>
        private PolicyEngine ClusterEngine(Core.Kube.KubeApi api, CalicoBehavior behavior)
        {
            var key = "cluster\u0001" + api.ContextName + "\u0001" + api.Server + "\u0001" + behavior;
            if (_engines.TryGetValue(key, out var engine)) return engine;
            var set = Run(ct => Core.Policy.Cluster.ClusterPolicySource.LoadAsync(api, ct));
            engine = PolicyEngine.Compile(set, behavior);
            WriteVerbose($"Compiled {set.Policies.Count} policies of context '{api.ContextName}' ({set.Namespaces.Count} namespaces, {set.ServiceAccounts.Count} service accounts) for Calico {behavior}");
            _engines[key] = engine;
            return engine;
        }

        private PolicyEngine EngineFor(List<string> paths, CalicoBehavior behavior)
        {
            // The resolved paths and the behaviour are the cached instances while they do not change: no key to build.
            if (_lastEngine != null && ReferenceEquals(paths, _lastEnginePaths) && ReferenceEquals(behavior, _lastEngineBehavior)) return _lastEngine;
            var key = string.Join("\n", paths) + "\n" + behavior;
            if (!_engines.TryGetValue(key, out var engine)) engine = CompileFiles(key, paths, behavior);
            _lastEngine = engine;
            _lastEnginePaths = paths;
            _lastEngineBehavior = behavior;
            return engine;
        }

        private PolicyEngine CompileFiles(string key, List<string> paths, CalicoBehavior behavior)
        {
            var set = PolicySet.Empty;
            foreach (var p in paths)
            {
                WriteVerbose($"Loading policy from {p}");
                set = set.Merge(PolicyLoader.LoadPath(p));
            }
            var engine = PolicyEngine.Compile(set, behavior);
            WriteVerbose($"Compiled {set.Policies.Count} policies, {set.Profiles.Count} profiles, {engine.IpSetCount} selector IP sets for Calico {behavior}");
            _engines[key] = engine;
            return engine;
        }

        private AlpRequest BuildRequest(PolicyEngine engine, (WorkloadInfo Workload, IPAddress? IP)? sourcePod = null, (WorkloadInfo Workload, IPAddress? IP)? destinationPod = null) =>
            this.ToRequestParameters(MyInvocation).Build(engine, sourcePod, destinationPod, WriteWarning);
    }
}
