using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Injector;
using CalicoAlp.Core.IO;
using CalicoAlp.Core.Results;
using CalicoAlp.Completers;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Shared flow of Set-/Remove-IstioInjectorPatch. Live (default): the core plans the edit of ConfigMap
    /// istio-system/istio-sidecar-injector and runs it through the change runner (ShouldProcess with the diff, so
    /// -WhatIf prints it; server-side dry run; the backup (first change only) and the ConfigMap written guarded by its
    /// resourceVersion). Offline: read -Path (a ConfigMap or patch document, YAML or JSON), edit data.config, write -OutFile.
    /// </summary>
    public abstract class InjectorPatchCmdlet : ResourceChangeCmdlet
    {
        public const string OfflineContext = "offline";
        protected const string LiveSet = "Live";
        protected const string OfflineSet = "Offline";

        /// <summary>Namespace of the injector ConfigMap (live mode).</summary>
        [Parameter(ParameterSetName = LiveSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = InjectorConfigMapIntent.DefaultNamespace;

        /// <summary>What the live edit does.</summary>
        protected abstract InjectorLiveMode LiveMode { get; }

        /// <summary>Set's -CalicoVersion/-DikastesImage/-IstioVersion (null for Remove).</summary>
        protected virtual (string? Calico, string? Image, string? Istio) LiveOptions => (null, null, null);

        /// <summary>The ConfigMap (kubectl get -o yaml/json) or Calico patch document to read.</summary>
        // Not bound from the pipeline: with a pipeline-bindable parameter of its own, the offline set would be chosen
        // for every piped object (e.g. Enable-CalicoAppLayerPolicy's results), and one -OutFile serves one file anyway.
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = OfflineSet)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = "";

        /// <summary>-OutFile of the derived cmdlet (Set has it in two parameter sets, Remove in one).</summary>
        protected abstract string OutFilePath { get; }

        /// <summary>The Istio revision whose injector ConfigMap (istio-sidecar-injector-&lt;rev&gt;) is edited; without it, the only one.</summary>
        [Parameter(ParameterSetName = LiveSet)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(RevisionCompleter))]
        public string? Revision { get; set; }

        /// <summary>Adds the unified diff of data.config to the result.</summary>
        [Parameter]
        public SwitchParameter ShowDiff { get; set; }

        /// <summary>Set's -Force: replace a customised dikastes container (kept recoverable) instead of refusing.</summary>
        protected virtual bool ReplaceCustomized => false;

        /// <summary>What the core does to the document text.</summary>
        protected abstract InjectorDocumentEdit Edit(string text, string source);

        /// <summary>The options the additions were made with (null for Remove).</summary>
        protected abstract DikastesSidecarOptions? Options { get; }

        protected abstract string Verb { get; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == LiveSet)
            {
                ProcessLive();
                return;
            }
            if (ProcessOther()) return;
            try
            {
                var input = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
                var output = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutFilePath);
                if (!File.Exists(input))
                {
                    throw new AlpException("InjectorFileNotFound", AlpErrorKind.ObjectNotFound, $"Cannot find the file '{input}'.", input);
                }
                // A regular file within the size limit, valid UTF-8 (InputFile); a UTF-8 BOM stays in the text and is written back.
                var bytes = InputFile.ReadBytes(input, "injector ConfigMap", CancellationToken);
                var text = InputFile.Decode(bytes, input, "injector ConfigMap");
                if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) text = "\uFEFF" + text;
                var edit = Edit(text, input);
                WriteVerbose($"{input}: Istio {edit.Edit.IstioVersion}; template delimiters {edit.Edit.Delimiters}; dikastes before: {edit.Edit.StateBefore.Image ?? "none"}; {edit.Edit.Action}.");

                var diff = edit.ConfigDiff;
                var sameFile = string.Equals(System.IO.Path.GetFullPath(input), System.IO.Path.GetFullPath(output), StringComparison.Ordinal);
                var needsWrite = !(sameFile && !edit.Edit.Changed);
                var written = false;
                string? backupFile = null;
                if (needsWrite)
                {
                    var action = edit.Edit.Changed
                        ? $"{Verb} ({edit.Edit.Action}) the injector config of '{input}'"
                        : $"Copy the unchanged injector config of '{input}'";
                    var description = $"{action} to '{output}'." + (diff.Length > 0 ? Environment.NewLine + diff : "");
                    if (ShouldProcess(description, $"{action} to '{output}'?", "Istio sidecar injector"))
                    {
                        if (sameFile && edit.Edit.ReplacedCustomizations.Count > 0)
                        {
                            // -Force replaces a customised dikastes container in the input file itself: keep the file as it was.
                            backupFile = InjectorDocumentEdit.FreeBackupPath(output, File.Exists);
                            AtomicFile.WriteAllBytes(backupFile, File.ReadAllBytes(input));
                        }
                        AtomicFile.WriteAllText(output, edit.Output, new UTF8Encoding(false));
                        written = true;
                    }
                }
                WarnReplaced(edit.Edit.ReplacedCustomizations, backupFile ?? input);
                // A result that was only described carries the diff ShouldProcess showed.
                var whatIf = needsWrite && !written;
                WriteObject(edit.ToResult(OfflineContext, input, Options, ShowDiff || whatIf, written || !needsWrite ? output : null, whatIf, backupFile));
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (AlpException ex) when (ex.ErrorId == AtomicFile.WriteFailedErrorId)
            {
                Terminate(ex); // the output could not be written (the file is unchanged): nothing else to do
            }
            catch (AlpException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
            catch (IOException ex)
            {
                WriteError(new ErrorRecord(ex, "InjectorFileError", ErrorCategory.WriteError, OutFilePath));
            }
            catch (UnauthorizedAccessException ex)
            {
                WriteError(new ErrorRecord(ex, "InjectorFileError", ErrorCategory.PermissionDenied, OutFilePath));
            }
        }
        /// <summary>Another parameter set of the derived cmdlet (Set's -OverlayFormat); true when it handled the record.</summary>
        protected virtual bool ProcessOther() => false;

        private void WarnReplaced(System.Collections.Generic.IReadOnlyList<DikastesCustomization> replaced, string keptIn)
        {
            if (replaced.Count == 0) return;
            WriteWarning(ReplacedWarning(replaced, keptIn));
        }

        private static string ReplacedWarning(System.Collections.Generic.IReadOnlyList<DikastesCustomization> replaced, string keptIn) =>
            $"-Force replaced a customised dikastes container; the config as it was is kept in {keptIn}:" +
            string.Concat(replaced.Select(r => Environment.NewLine + r));

        // One pipeline often carries several records for the same cluster (e.g. the four results of
        // Enable-CalicoAppLayerPolicy): the records' clusters are collected and each injector is handled once, at the end.
        private void ProcessLive() => CollectTargets();

        protected override void EndProcessing()
        {
            if (ParameterSetName != LiveSet) return;
            try
            {
                RunClusters(CollectedTargets, ChangeLiveAsync);
            }
            catch (AlpException ex)
            {
                WriteError(ToErrorRecord(ex));
            }
        }

        private async Task ChangeLiveAsync(ClusterScope cluster, CancellationToken ct)
        {
            var (calico, image, istio) = LiveOptions;
            var result = await InjectorLive.ChangeAsync(Changes(cluster.Api), LiveMode, calico, image, istio, ShowDiff, ct, Namespace, Revision, force: ReplaceCustomized).ConfigureAwait(false);
            if (result == null) return;
            if (!result.WhatIf && result.ReplacedCustomizations.Count > 0)
            {
                var keptIn = result.BackupKey != null ? $"{result.BackupName} key {result.BackupKey}" : result.BackupName ?? "the backup";
                cluster.WriteWarning(ReplacedWarning(result.ReplacedCustomizations, keptIn));
            }
            cluster.WriteObject(result);
        }
    }

    /// <summary>
    /// Inserts Calico's dikastes additions into the Istio sidecar injector template: the dikastes-sock mount on istio-proxy,
    /// the dikastes container and the dikastes-sock/felix-sync volumes, surgically (everything else byte for byte).
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "IstioInjectorPatch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Live")]
    [OutputType(typeof(InjectorPatchResult))]
    public sealed class SetIstioInjectorPatchCommand : InjectorPatchCmdlet
    {
        private const string OverlaySet = "Overlay";
        private DikastesSidecarOptions? _options;

        /// <summary>Where to write the resulting document (offline: same format as the input, may be -Path itself; -OverlayFormat: the overlay).</summary>
        [Parameter(Mandatory = true, ParameterSetName = OfflineSet)]
        [Parameter(Mandatory = true, ParameterSetName = OverlaySet)]
        [ValidateNotNullOrEmpty]
        public string OutFile { get; set; } = "";

        /// <summary>Istio 1.22+ installed by istioctl/the operator or Helm: write Calico's dikastes templates as an IstioOperator overlay or istiod Helm values to -OutFile instead of editing the cluster.</summary>
        // A string, not Core's OverlayFormat: parameter types must load in PowerShell's context, and Core lives in the module's own.
        [Parameter(Mandatory = true, ParameterSetName = OverlaySet)]
        [ValidateSet(nameof(Core.Injector.OverlayFormat.IstioOperator), nameof(Core.Injector.OverlayFormat.HelmValues))]
        public string OverlayFormat { get; set; } = "";

        protected override string OutFilePath => OutFile;

        protected override bool ProcessOther()
        {
            if (ParameterSetName != OverlaySet) return false;
            try
            {
                var output = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutFile);
                var text = DikastesTemplates.Overlay(_options!, Enum.Parse<OverlayFormat>(OverlayFormat, ignoreCase: true));
                var same = File.Exists(output) && string.Equals(File.ReadAllText(output), text, StringComparison.Ordinal);
                var written = false;
                if (!same && ShouldProcess($"Write Calico's dikastes templates as {OverlayFormat} values to '{output}'.", $"Write the {OverlayFormat} overlay to '{output}'?", "Istio sidecar injector"))
                {
                    AtomicFile.WriteAllText(output, text, new UTF8Encoding(false));
                    written = true;
                }
                WriteObject(new InjectorPatchResult(OfflineContext, output, same ? InjectorEditAction.Unchanged : InjectorEditAction.Created, new IstioTemplateVersion(DikastesTemplates.Since + "+", "-OverlayFormat"))
                {
                    CalicoVersion = _options!.CalicoVersion.ToString(),
                    Image = _options.Image,
                    OutFile = written || same ? output : null,
                    WhatIf = !same && !written,
                    Message = $"Pods opt in with {DikastesTemplates.TemplatesAnnotation}: {DikastesTemplates.WorkloadAnnotationValue} (gateways: {DikastesTemplates.GatewayAnnotationValue}); Add-AlpNamespace -Restart sets it.",
                });
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
            return true;
        }

        /// <summary>The Calico version (felix-sync volume, securityContext, default image calico/dikastes:v&lt;version&gt;).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(CalicoVersionCompleter))]
        public string? CalicoVersion { get; set; }

        /// <summary>The dikastes image (default calico/dikastes:v&lt;CalicoVersion&gt;).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? DikastesImage { get; set; }

        /// <summary>Overrides the detected Istio version of the template.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(IstioVersionCompleter))]
        public string? IstioVersion { get; set; }

        /// <summary>Replace a customised dikastes container (extra env, resources, args, a second dikastes) instead of refusing; the config as it was stays recoverable.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override bool ReplaceCustomized => Force;

        protected override DikastesSidecarOptions? Options => _options;

        protected override InjectorLiveMode LiveMode => InjectorLiveMode.Set;

        protected override (string? Calico, string? Image, string? Istio) LiveOptions => (CalicoVersion, DikastesImage, IstioVersion);

        protected override string Verb => "Patch";

        protected override void BeginProcessing()
        {
            try
            {
                if (IstioVersion != null) IstioTemplateVersion.Given(IstioVersion);
                // live mode may take the Calico version from the cluster
                if (ParameterSetName != LiveSet || CalicoVersion != null || DikastesImage != null) _options = DikastesSidecarOptions.From(CalicoVersion, DikastesImage);
            }
            catch (AlpException ex)
            {
                Terminate(ex);
            }
        }

        protected override InjectorDocumentEdit Edit(string text, string source) =>
            InjectorDocumentEdit.Set(text, source, _options!, IstioVersion, Force);
    }

    /// <summary>Takes Calico's three dikastes additions out of the Istio sidecar injector template (also Calico's own files).</summary>
    [Cmdlet(VerbsCommon.Remove, "IstioInjectorPatch", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = "Live")]
    [OutputType(typeof(InjectorPatchResult))]
    public sealed class RemoveIstioInjectorPatchCommand : InjectorPatchCmdlet
    {
        /// <summary>Where to write the resulting document (same format as the input; may be -Path itself).</summary>
        [Parameter(Mandatory = true, ParameterSetName = OfflineSet)]
        [ValidateNotNullOrEmpty]
        public string OutFile { get; set; } = "";

        protected override string OutFilePath => OutFile;

        protected override DikastesSidecarOptions? Options => null;

        /// <summary>Puts back the config saved in the backup ConfigMap instead of removing the additions (live mode).</summary>
        [Parameter(ParameterSetName = LiveSet)]
        public SwitchParameter FromBackup { get; set; }

        protected override InjectorLiveMode LiveMode => FromBackup ? InjectorLiveMode.RestoreBackup : InjectorLiveMode.Remove;

        protected override string Verb => "Unpatch";

        protected override InjectorDocumentEdit Edit(string text, string source) => InjectorDocumentEdit.Remove(text, source);
    }
}
