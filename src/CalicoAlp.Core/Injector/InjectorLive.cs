using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Injector
{
    /// <summary>What the live injector intent does to data.config.</summary>
    public enum InjectorLiveMode
    {
        Set,
        Remove,
        RestoreBackup,
    }

    /// <summary>
    /// The istio-sidecar-injector ConfigMap with its data.config edited (Set/Remove) or restored from the backup.
    /// Planning reads the ConfigMap and computes the edit; the write is a PUT carrying the resourceVersion that was read,
    /// so a concurrent change gives a 409 and <see cref="IntentExecutor"/> re-reads, re-plans (re-applies the edit to the
    /// new config) and writes again. Every other key of the ConfigMap (values, labels, annotations) is kept.
    /// </summary>
    public sealed class InjectorConfigMapIntent : ResourceIntent
    {
        public const string DefaultNamespace = AlpConstants.IstioNamespace;
        public const string DefaultName = "istio-sidecar-injector";

        private readonly InjectorLiveMode _mode;
        private readonly DikastesSidecarOptions? _options;
        private readonly string? _istioVersion;
        private readonly bool _force;

        /// <param name="force">Set replaces a customised dikastes container (otherwise refused, see <see cref="DikastesCustomization"/>).</param>
        public InjectorConfigMapIntent(InjectorLiveMode mode, DikastesSidecarOptions? options, string? istioVersion, string ns = DefaultNamespace, string name = DefaultName,
            bool force = false)
        {
            _force = force;
            if (mode == InjectorLiveMode.Set && options == null) throw new ArgumentNullException(nameof(options));
            _mode = mode;
            _options = options;
            _istioVersion = istioVersion;
            Namespace = ns;
            Name = name;
        }

        public override ResourceType Type => ResourceType.ConfigMap;
        public override string? Namespace { get; }
        public override string Name { get; }
        public string BackupName => InjectorBackupIntent.BackupNameFor(Name);

        /// <summary>The edit computed by the latest <see cref="PlanAsync"/> (re-planning after a 409 replaces it).</summary>
        public InjectorEdit? LastEdit { get; private set; }

        public override async Task<ResourcePlan> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false)
                ?? throw new AlpException("IstioInjectorNotFound", AlpErrorKind.ObjectNotFound,
                    $"ConfigMap {Namespace}/{Name} was not found on context '{api.ContextName}'.", $"{Namespace}/{Name}")
                { RecommendedAction = "Install Istio with sidecar injection (1.0-1.4), or pass the ConfigMap's namespace/name." };
            var config = JsonDiff.GetString(current, "data", "config")
                ?? throw new AlpException("InjectorConfigMapInvalid", AlpErrorKind.InvalidData, $"ConfigMap {Namespace}/{Name} has no data.config.", $"{Namespace}/{Name}");
            var values = JsonDiff.GetString(current, "data", "values");

            InjectorEdit edit;
            switch (_mode)
            {
                case InjectorLiveMode.Set:
                    var istio = string.IsNullOrWhiteSpace(_istioVersion) ? IstioTemplateVersion.Detect(config, values) : IstioTemplateVersion.Given(_istioVersion!);
                    edit = InjectorTemplateEditor.Set(config, _options!, istio, values, _force, $"ConfigMap {Namespace}/{Name}");
                    break;
                case InjectorLiveMode.Remove:
                    edit = InjectorTemplateEditor.Remove(config, values);
                    break;
                default:
                    var backup = await api.GetAsync(Type, Namespace, BackupName, ct).ConfigureAwait(false)
                        ?? throw new AlpException("InjectorBackupNotFound", AlpErrorKind.ObjectNotFound,
                            $"There is no backup ConfigMap {Namespace}/{BackupName}: Set-IstioInjectorPatch creates it before its first change.", $"{Namespace}/{BackupName}");
                    var saved = JsonDiff.GetString(backup, "data", "config")
                        ?? throw new AlpException("InjectorConfigMapInvalid", AlpErrorKind.InvalidData, $"Backup {Namespace}/{BackupName} has no data.config.", $"{Namespace}/{BackupName}");
                    edit = new InjectorEdit(config, saved,
                        string.Equals(config, saved, StringComparison.Ordinal) ? InjectorEditAction.Unchanged : InjectorEditAction.Restored,
                        InjectorTemplateEditor.TryInspect(config), IstioTemplateVersion.Detect(saved, values), GoTemplateCheck.DelimitersOf(saved).Open + " " + GoTemplateCheck.DelimitersOf(saved).Close);
                    break;
            }
            LastEdit = edit;
            if (!edit.Changed)
            {
                return new ResourcePlan(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current, null, $"data.config already {Describe(edit)}.");
            }
            var updated = (JsonObject)current.DeepClone();
            updated["data"]!["config"] = edit.After;
            JsonDiff.EnsureObject(updated, "metadata").Remove("managedFields");
            var change = new FieldChange("data.config", Quote(edit.StateBefore.Image ?? "no dikastes"), Quote(_mode == InjectorLiveMode.Set ? _options!.Image : _mode == InjectorLiveMode.Remove ? "no dikastes" : "backup"));
            return new ResourcePlan(this, ChangeAction.Updated, new[] { change }, current, updated, $"{edit.Action}: {Describe(edit)}");
        }

        private string Describe(InjectorEdit edit) => _mode switch
        {
            InjectorLiveMode.Set => $"has dikastes {_options!.Image} (Istio {edit.IstioVersion})",
            InjectorLiveMode.Remove => "has no dikastes",
            _ => "equals the backup",
        };

        private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan plan, bool dryRun, CancellationToken ct) =>
            plan.Action == ChangeAction.Updated
                ? await api.ReplaceAsync(Type, Namespace, plan.Payload!, dryRun, ct).ConfigureAwait(false)
                : plan.Current;
    }

    /// <summary>
    /// The backup ConfigMap &lt;name&gt;-calicoalp-backup next to the injector ConfigMap: created once, before the first
    /// change, with the injector's data as it was; never overwritten afterwards (so it keeps the pre-Calico config).
    /// </summary>
    public sealed class InjectorBackupIntent : ResourceIntent
    {
        public const string BackupOfAnnotation = "calicoalp.io/backup-of";
        public const string SourceResourceVersionAnnotation = "calicoalp.io/backup-of-resource-version";

        /// <summary>Prefix of the backup keys that keep a config whose customised dikastes container -Force replaced.</summary>
        public const string ReplacedConfigKeyPrefix = "config-before-force-rv";

        private readonly string _source;
        private readonly (string Key, string Config)? _replaced;

        /// <param name="replacedConfig">
        /// The config (and the injector's resourceVersion it was read at) in which -Force replaces a customised dikastes
        /// container: an existing backup gets it as key <see cref="ReplacedConfigKeyPrefix"/>&lt;rv&gt;, so that nothing is
        /// unrecoverable; a new backup copies the injector's data anyway.
        /// </param>
        public InjectorBackupIntent(string ns = InjectorConfigMapIntent.DefaultNamespace, string source = InjectorConfigMapIntent.DefaultName,
            (string ResourceVersion, string Config)? replacedConfig = null)
        {
            Namespace = ns;
            _source = source;
            Name = BackupNameFor(source);
            if (replacedConfig is { } r) _replaced = (ReplacedConfigKeyPrefix + r.ResourceVersion, r.Config);
        }

        public static string BackupNameFor(string name) => name + "-calicoalp-backup";

        public override ResourceType Type => ResourceType.ConfigMap;
        public override string? Namespace { get; }
        public override string Name { get; }

        public override async Task<ResourcePlan> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var existing = await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false);
            if (existing != null)
            {
                if (_replaced is { } r && JsonDiff.GetString(existing, "data", r.Key) != r.Config)
                {
                    var updated = (JsonObject)existing.DeepClone();
                    JsonDiff.EnsureObject(updated, "data")[r.Key] = r.Config;
                    JsonDiff.EnsureObject(updated, "metadata").Remove("managedFields");
                    return new ResourcePlan(this, ChangeAction.Updated, new[] { new FieldChange("data." + r.Key, null, System.Text.Json.JsonSerializer.Serialize("the config with the customised dikastes container")) },
                        existing, updated, $"Backup gets data.{r.Key}: the config before -Force replaced the customised dikastes container.");
                }
                return new ResourcePlan(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), existing, null, "Backup kept (it holds the config from before the first change).");
            }
            var source = await api.GetAsync(Type, Namespace, _source, ct).ConfigureAwait(false)
                ?? throw new AlpException("IstioInjectorNotFound", AlpErrorKind.ObjectNotFound, $"ConfigMap {Namespace}/{_source} was not found.", $"{Namespace}/{_source}");
            var data = new JsonObject();
            if (source["data"] is JsonObject d)
            {
                foreach (var kv in d) data[kv.Key] = kv.Value?.DeepClone();
            }
            var backup = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject
                {
                    ["name"] = Name,
                    ["namespace"] = Namespace,
                    ["labels"] = new JsonObject { [AlpConstants.ManagedByLabel] = AlpConstants.ManagedByValue },
                    ["annotations"] = new JsonObject
                    {
                        [BackupOfAnnotation] = $"{Namespace}/{_source}",
                        [SourceResourceVersionAnnotation] = JsonDiff.GetString(source, "metadata", "resourceVersion") ?? "",
                    },
                },
                ["data"] = data,
            };
            return new ResourcePlan(this, ChangeAction.Created, new[] { new FieldChange("data", null, $"copy of {Namespace}/{_source}") }, null, backup);
        }

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan plan, bool dryRun, CancellationToken ct) => plan.Action switch
        {
            ChangeAction.Created => await api.CreateAsync(Type, Namespace, plan.Payload!, dryRun, ct).ConfigureAwait(false),
            ChangeAction.Updated => await api.ReplaceAsync(Type, Namespace, plan.Payload!, dryRun, ct).ConfigureAwait(false),
            _ => plan.Current,
        };
    }

    /// <summary>A planned live change of the injector: the ConfigMap plan and, when it writes, the backup plan.</summary>
    public sealed class InjectorLivePlan
    {
        internal InjectorLivePlan(InjectorConfigMapIntent intent, ResourcePlan injector, ResourcePlan? backup, DikastesSidecarOptions? options, string? calicoVersionSource)
        {
            Intent = intent;
            Injector = injector;
            Backup = backup;
            Options = options;
            CalicoVersionSource = calicoVersionSource;
        }

        public InjectorConfigMapIntent Intent { get; }
        public ResourcePlan Injector { get; }
        /// <summary>Null when nothing is written (no backup needed).</summary>
        public ResourcePlan? Backup { get; }
        public DikastesSidecarOptions? Options { get; }
        public string? CalicoVersionSource { get; }
        public InjectorEdit Edit => Intent.LastEdit!;
        public bool IsWrite => Injector.IsWrite;
        public string Diff => UnifiedDiff.Create(Edit.Before, Edit.After, "a/data.config", "b/data.config");
    }

    /// <summary>
    /// Live mode of Set-/Remove-IstioInjectorPatch as plan -> ShouldProcess -> apply: <see cref="PlanAsync"/> reads only;
    /// <see cref="ApplyAsync"/> writes the backup (first change only) and then the injector ConfigMap, guarded by
    /// resourceVersion with re-plan on 409.
    /// </summary>
    public static class InjectorLive
    {
        /// <summary>
        /// Plans the change. For Set without options, the Calico version comes from the cluster (calico-node image or
        /// ClusterInformation) and the image is calico/dikastes:v&lt;version&gt;.
        /// </summary>
        public static async Task<InjectorLivePlan> PlanAsync(KubeApi api, InjectorLiveMode mode, string? calicoVersion, string? image, string? istioVersion,
            CancellationToken ct, string ns = InjectorConfigMapIntent.DefaultNamespace, string name = InjectorConfigMapIntent.DefaultName, bool force = false)
        {
            DikastesSidecarOptions? options = null;
            string? source = null;
            if (mode == InjectorLiveMode.Set)
            {
                if (string.IsNullOrWhiteSpace(calicoVersion) && !ComponentVersion.TryParse(ComponentVersion.TagOf(image), out _))
                {
                    var notes = new List<string>();
                    var (detected, from) = await PrerequisiteChecker.DetectCalicoVersionAsync(api, notes, ct).ConfigureAwait(false);
                    foreach (var n in notes) api.Log.Verbose(n);
                    calicoVersion = detected ?? throw new AlpException("CalicoVersionUnknown", AlpErrorKind.NotInstalled,
                        $"The Calico version of context '{api.ContextName}' could not be determined (no readable calico-node DaemonSet or ClusterInformation).", api.ContextName)
                    { RecommendedAction = "Pass -CalicoVersion (and -DikastesImage for a private registry)." };
                    source = from;
                }
                options = DikastesSidecarOptions.From(calicoVersion, image);
                source ??= string.IsNullOrWhiteSpace(calicoVersion) ? "-DikastesImage tag" : "-CalicoVersion";
            }
            var intent = new InjectorConfigMapIntent(mode, options, istioVersion, ns, name, force);
            var plan = await intent.PlanAsync(api, ct).ConfigureAwait(false);
            ResourcePlan? backup = null;
            if (plan.IsWrite && mode != InjectorLiveMode.RestoreBackup)
            {
                var replaced = intent.LastEdit!.ReplacedCustomizations.Count > 0
                    ? (JsonDiff.GetString(plan.Current, "metadata", "resourceVersion") ?? "0", intent.LastEdit.Before)
                    : ((string, string)?)null;
                backup = await new InjectorBackupIntent(ns, name, replaced).PlanAsync(api, ct).ConfigureAwait(false);
            }
            return new InjectorLivePlan(intent, plan, backup, options, source);
        }

        /// <summary>Writes the backup (if planned) and the injector ConfigMap; returns the typed result.</summary>
        public static async Task<InjectorPatchResult> ApplyAsync(KubeApi api, InjectorLivePlan plan, bool dryRun, bool showDiff, CancellationToken ct)
        {
            if (plan.Backup is { IsWrite: true })
            {
                await IntentExecutor.ApplyAsync(api, plan.Backup, dryRun, ct).ConfigureAwait(false);
            }
            var change = await IntentExecutor.ApplyAsync(api, plan.Injector, dryRun, ct).ConfigureAwait(false);
            return ToResult(api, plan, showDiff, change.ResourceVersion, whatIf: dryRun);
        }

        /// <summary>The result for a plan that was not applied (-WhatIf, declined, or unchanged).</summary>
        public static InjectorPatchResult ToResult(KubeApi api, InjectorLivePlan plan, bool showDiff, string? resourceVersion, bool whatIf)
        {
            var edit = plan.Edit;
            return new InjectorPatchResult(api.ContextName, $"{plan.Intent.Namespace}/{plan.Intent.Name}", edit.Action, edit.IstioVersion)
            {
                Kubeconfig = api.Kubeconfig,
                CalicoVersion = plan.Options?.CalicoVersion.ToString(),
                Image = plan.Options?.Image,
                PreviousImage = edit.StateBefore.Image,
                BackupName = plan.Backup != null ? $"{plan.Intent.Namespace}/{plan.Intent.BackupName}" : null,
                ReplacedCustomizations = edit.ReplacedCustomizations,
                BackupKey = plan.Backup is { Action: ChangeAction.Updated } b ? b.Changes[0].Path["data.".Length..] : null,
                Diff = showDiff ? plan.Diff : null,
                WhatIf = whatIf,
                ResourceVersion = resourceVersion,
                Message = plan.Injector.Message,
            };
        }

        /// <summary>Pods (namespace/name), not finished, that have istio-proxy but no dikastes: injected before the patch, to be recreated.</summary>
        public static async Task<IReadOnlyList<string>> PodsWithoutDikastesAsync(KubeApi api, CancellationToken ct)
        {
            var pods = await api.ListAsync(ResourceType.Pod, null, null, "status.phase!=Succeeded,status.phase!=Failed", ct).ConfigureAwait(false);
            var result = new List<string>();
            foreach (var pod in pods)
            {
                if (Namespaces.WorkloadInventory.MissingSidecar(pod) == Namespaces.SidecarGap.NoDikastes)
                {
                    result.Add($"{JsonDiff.GetString(pod, "metadata", "namespace")}/{JsonDiff.GetString(pod, "metadata", "name")}");
                }
            }
            result.Sort(StringComparer.Ordinal);
            return result;
        }
    }
}
