using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Comparison;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Replay;
using CalicoAlp.Core.Policy.Requests;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Answers "what would this policy change break?" from real traffic, before the change is applied.</para>
    /// <para type="description">Evaluates the requests of Envoy access logs (or piped request objects) against two policy
    /// sets, the reference (files, or the cluster) and the difference (the proposed policies), and reports the requests
    /// whose decision changes. The comparison logic is in Core (PolicyComparer); requests are built by the same code as
    /// Test-AlpRequest's.</para>
    /// </summary>
    [Cmdlet(VerbsData.Compare, "AlpPolicy", DefaultParameterSetName = RequestSet)]
    [OutputType(typeof(ComparisonSummary), typeof(PolicyChange))]
    public sealed class CompareAlpPolicyCommand : KubeCmdlet, IRequestParameterSource
    {
        private const string RequestSet = "Request";
        private const string AccessLogSet = "AccessLog";
        // Piped request objects: one pipeline-bound parameter read by RequestParameters.ReadFrom (as Test-AlpRequest does)
        // instead of ~16 parameters PowerShell would look up by property name for every object; the request parameters
        // are also in this set, bound from the command line only (they win over piped properties).
        private const string InputObjectSet = "InputObject";
        private PolicyComparer? _comparer;
        private AlpRequestBuilder? _builder;
        private HashSet<string>? _commandLine;
        private readonly List<ComparedRequest> _kept = new();
        private Predicate<ChangeKind> _keep = _ => false;

        /// <summary>A request object (CSV row, PSCustomObject, any object) whose properties are named like this cmdlet's
        /// request parameters (SourceIP, SourcePrincipal, DestinationPort, Method, Path, ...).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        public PSObject? InputObject { get; set; }

        /// <summary>The policies that apply now (files or folders). Without it, the reference is read from the cluster (-Kubeconfig/-Context).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? ReferencePolicyPath { get; set; }

        /// <summary>The proposed policies (files or folders).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string[] DifferencePolicyPath { get; set; } = [];

        /// <summary>Envoy access log files, folders or wildcards whose requests are compared.</summary>
        [Parameter(Mandatory = true, ParameterSetName = AccessLogSet)]
        [ValidateNotNullOrEmpty]
        public string[] AccessLogPath { get; set; } = [];

        /// <summary>Output only the summary.</summary>
        [Parameter]
        public SwitchParameter SummaryOnly { get; set; }

        /// <summary>Also output the requests whose verdict did not change (Unchanged, OtherRule).</summary>
        [Parameter]
        public SwitchParameter IncludeUnchanged { get; set; }

        /// <summary>Evaluate the staged policies of the difference set as if promoted (enforced).</summary>
        [Parameter]
        public SwitchParameter PromoteStaged { get; set; }

        /// <summary>Emulate an older Dikastes (e.g. 3.29, 3.30.2, 3.31.6) for both sets. Default: newest.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(CalicoVersionCompleter))]
        public string? CalicoVersion { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [AllowEmptyString]
        [AllowNull]
        public string? SourcePrincipal { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? SourceIP { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateRange(0, 65535)]
        public int SourcePort { get; set; } = AlpRequestBuilder.DefaultSourcePort;

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string? SourceNamespace { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? SourceServiceAccount { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public Hashtable? SourceLabels { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string? DestinationNamespace { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? DestinationServiceAccount { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public Hashtable? DestinationLabels { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? DestinationIP { get; set; }

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateRange(0, 65535)]
        public int DestinationPort { get; set; } = AlpRequestBuilder.DefaultDestinationPort;

        [Parameter(ParameterSetName = AccessLogSet)]
        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [AllowEmptyCollection]
        public string[]? DestinationProfile { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string Protocol { get; set; } = "TCP";

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? Method { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        public string? Path { get; set; }

        [Parameter(ParameterSetName = RequestSet, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = InputObjectSet)]
        [ValidateSet("Ingress", "Egress", IgnoreCase = true)]
        public string Direction { get; set; } = "Ingress";

        protected override void BeginProcessing()
        {
            // The parameters given on the command line (before any pipeline input is bound): they win over piped properties.
            _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            try
            {
                var behavior = CalicoBehavior.Parse(CalicoVersion);
                var difference = ComparedSets.Load(PolicySetRole.Difference,
                    ProviderPaths.Resolve(this, DifferencePolicyPath, "PolicyPathNotFound", "Difference policy path"), CancellationToken, WriteWarning);
                PolicySet reference;
                string referenceSource;
                if (ReferencePolicyPath != null)
                {
                    reference = ComparedSets.Load(PolicySetRole.Reference,
                        ProviderPaths.Resolve(this, ReferencePolicyPath, "PolicyPathNotFound", "Reference policy path"), CancellationToken, WriteWarning);
                    referenceSource = "files";
                }
                else
                {
                    // Read as Test-AlpRequest's cluster mode reads it.
                    var api = Connect();
                    try
                    {
                        reference = Run(ct => Core.Policy.Cluster.ClusterPolicySource.LoadAsync(api, ct));
                    }
                    catch (AlpException ex) when (ex.ErrorId.StartsWith("PolicyFile", StringComparison.Ordinal))
                    {
                        throw ComparedSets.InRole(PolicySetRole.Reference, ex);
                    }
                    referenceSource = $"cluster '{api.ContextName}'";
                    WriteVerbose($"Reference: {reference.Policies.Count} policies of context '{api.ContextName}' ({reference.Namespaces.Count} namespaces, {reference.ServiceAccounts.Count} service accounts)");
                }
                var sets = ComparedSets.Create(reference, difference, PromoteStaged.IsPresent);
                var (referenceEngine, differenceEngine) = sets.Compile(behavior);
                WriteVerbose($"Compiled {sets.Reference.Policies.Count} reference and {sets.Difference.Policies.Count} difference policies for Calico {behavior}" +
                             (PromoteStaged.IsPresent ? $" ({sets.PromotedStaged} staged promoted)" : ""));
                if (sets.Identical)
                {
                    WriteWarning("The reference and difference policy sets are identical: no decision can change.");
                }
                _comparer = new PolicyComparer(referenceEngine, differenceEngine, sets, referenceSource);
                _builder = new AlpRequestBuilder(referenceEngine, WriteWarning);
                _keep = SummaryOnly.IsPresent ? _ => false
                    : IncludeUnchanged.IsPresent ? _ => true
                    : c => c == ChangeKind.NewlyDenied || c == ChangeKind.NewlyAllowed;
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException(); // Ctrl+C while the policy files were read
            }
        }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AccessLogSet) return;
            var comparer = _comparer!;
            try
            {
                var p = ParameterSetName == InputObjectSet
                    ? RequestParameters.ReadFrom(InputObject!, RequestParameters.From(this, _commandLine!), _commandLine!, requestOnly: true)
                    : RequestParameters.From(this, MyInvocation.BoundParameters.Keys);
                var request = _builder!.Build(p.ToFields());
                var change = comparer.Compare(request, out var reference, out var difference);
                if (_keep(change)) _kept.Add(new ComparedRequest(change, request, reference, difference, null, 0));
            }
            catch (AlpException ex)
            {
                comparer.CountError();
                WriteError(ToErrorRecord(ex));
            }
        }

        protected override void EndProcessing()
        {
            var comparer = _comparer!;
            ComparisonSummary summary;
            if (ParameterSetName == AccessLogSet)
            {
                Core.Policy.Replay.ReplayOptions options;
                List<string> files;
                try
                {
                    options = _builder!.ReplayOptions(RequestParameters.From(this, MyInvocation.BoundParameters.Keys).ToFields());
                    files = AccessLogReplayer.ExpandFiles(ProviderPaths.Resolve(this, AccessLogPath, "AccessLogPathNotFound", "Access log path"));
                }
                catch (AlpException ex)
                {
                    Terminate(ex);
                    return;
                }
                try
                {
                    summary = comparer.CompareLogs(files, options, new ComparisonMessagesSink(this), _keep, _kept, CancellationToken);
                }
                catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
                {
                    throw new PipelineStoppedException();
                }
                Progress(ComparisonMessagesSink.Activity, $"{summary.Lines:N0} lines", 100, completed: true);
            }
            else
            {
                summary = comparer.Complete();
            }
            WriteObject(summary);
            // Output objects are made only now, one at a time (see Test-AlpRequest -AccessLogPath).
            foreach (var kept in _kept)
            {
                WriteObject(new PolicyChange(kept, comparer.Difference.Behavior));
            }
        }

        internal void ReportProgress(string activity, string status, int percent) => Progress(activity, status, percent);
    }

    /// <summary>Writes the comparison's bad log lines and progress as they happen.</summary>
    /// <remarks>Top-level and internal, like CmdletSink: PowerShell lists the module's exported types before Core resolves.</remarks>
    internal sealed class ComparisonMessagesSink : IReplaySink
    {
        public const string Activity = "Comparing policy sets";
        private readonly CompareAlpPolicyCommand _cmdlet;

        public ComparisonMessagesSink(CompareAlpPolicyCommand cmdlet) => _cmdlet = cmdlet;

        public void Decision(string file, long line, AlpRequest request, PolicyDecision decision)
        {
        }

        public void Error(string file, long line, string message) => _cmdlet.WriteError(AccessLogLineError.For(file, line, message));

        public void Progress(long lines, int percent, string file) =>
            _cmdlet.ReportProgress(Activity, $"{lines.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} lines, {System.IO.Path.GetFileName(file)}", percent);
    }
}
