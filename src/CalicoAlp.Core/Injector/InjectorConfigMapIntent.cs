using System;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// The istio-sidecar-injector ConfigMap with its data.config edited (Set/Remove) or restored from the backup.
    /// Planning reads the ConfigMap (and whether the backup exists) and computes the edit; the plan carries it
    /// (<see cref="InjectorConfigChange"/>). The write first creates the backup when it is missing (Set/Remove, first
    /// change only), then PUTs the ConfigMap with the resourceVersion that was read, so a concurrent change gives a
    /// 409 and the <see cref="ChangeRunner"/> re-reads, re-plans (re-applies the edit to the new config) and writes
    /// again. Every other key of the ConfigMap (values, labels, annotations) is kept.
    /// </summary>
    public sealed class InjectorConfigMapIntent : ResourceIntent<InjectorConfigChange>
    {
        public const string DefaultNamespace = AlpConstants.IstioNamespace;
        public const string DefaultName = "istio-sidecar-injector";

        private readonly InjectorLiveMode _mode;
        private readonly DikastesSidecarOptions? _options;
        private readonly string? _istioVersion;
        private readonly bool _force;

        /// <param name="force">Set replaces a customised dikastes container (otherwise refused, see <see cref="DikastesCustomization"/>);
        /// the config as it was is kept in the backup.</param>
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
        public string BackupName => InjectorBackup.NameFor(Name);

        /// <summary>The Istio version to use when neither -IstioVersion nor the ConfigMap's values name it (istiod's image).</summary>
        public string? IstioFallback { get; init; }

        public override async Task<ResourcePlan<InjectorConfigChange>> PlanAsync(KubeApi api, CancellationToken ct)
        {
            var current = await api.GetAsync(Type, Namespace, Name, ct).ConfigureAwait(false)
                ?? throw new AlpException("IstioInjectorNotFound", AlpErrorKind.ObjectNotFound,
                    $"ConfigMap {Namespace}/{Name} was not found on context '{api.ContextName}'.", $"{Namespace}/{Name}")
                { RecommendedAction = "Install Istio with sidecar injection, or pass the namespace (-Namespace) and revision (-Revision) of its injector." };
            var config = JsonFields.GetString(current, "data", "config")
                ?? throw new AlpException("InjectorConfigMapInvalid", AlpErrorKind.InvalidData, $"ConfigMap {Namespace}/{Name} has no data.config.", $"{Namespace}/{Name}");
            var values = JsonFields.GetString(current, "data", "values");

            InjectorEdit edit;
            switch (_mode)
            {
                case InjectorLiveMode.Set:
                    var istio = string.IsNullOrWhiteSpace(_istioVersion) ? IstioTemplateVersion.Detect(config, values) : IstioTemplateVersion.Given(_istioVersion!);
                    if (string.IsNullOrWhiteSpace(_istioVersion) && istio.Source.StartsWith("template shape", StringComparison.Ordinal) && ComponentVersion.TryParse(IstioFallback, out var fb))
                    {
                        istio = new IstioTemplateVersion(fb.ToString(), "istiod image");
                    }
                    edit = InjectorTemplateEditor.Set(config, _options!, istio, values, _force, $"ConfigMap {Namespace}/{Name}");
                    break;
                case InjectorLiveMode.Remove:
                    edit = InjectorTemplateEditor.Remove(config, values);
                    break;
                default:
                    var backup = await api.GetAsync(Type, Namespace, BackupName, ct).ConfigureAwait(false)
                        ?? throw new AlpException("InjectorBackupNotFound", AlpErrorKind.ObjectNotFound,
                            $"There is no backup ConfigMap {Namespace}/{BackupName}: Set-IstioInjectorPatch creates it before its first change.", $"{Namespace}/{BackupName}");
                    var saved = JsonFields.GetString(backup, "data", "config")
                        ?? throw new AlpException("InjectorConfigMapInvalid", AlpErrorKind.InvalidData, $"Backup {Namespace}/{BackupName} has no data.config.", $"{Namespace}/{BackupName}");
                    edit = new InjectorEdit(config, saved,
                        string.Equals(config, saved, StringComparison.Ordinal) ? InjectorEditAction.Unchanged : InjectorEditAction.Restored,
                        InjectorTemplateEditor.TryInspect(config), IstioTemplateVersion.Detect(saved, values), GoTemplateCheck.DelimitersOf(saved).Open + " " + GoTemplateCheck.DelimitersOf(saved).Close);
                    break;
            }
            if (!edit.Changed)
            {
                return new ResourcePlan<InjectorConfigChange>(this, ChangeAction.Unchanged, Array.Empty<FieldChange>(), current,
                    new InjectorConfigChange(edit, null, null, null), $"data.config already {Describe(edit)}.");
            }
            var updated = (JsonObject)current.DeepClone();
            updated["data"]!["config"] = edit.After;
            JsonFields.EnsureObject(updated, "metadata").Remove("managedFields");
            JsonObject? backupToCreate = null, backupUpdate = null;
            string? backupName = null, backupKey = null;
            if (_mode != InjectorLiveMode.RestoreBackup)
            {
                // The first change keeps the config as it was (the read above) in the backup ConfigMap; later ones keep the backup.
                backupName = $"{Namespace}/{BackupName}";
                var existingBackup = await api.GetAsync(Type, Namespace, BackupName, ct).ConfigureAwait(false);
                if (existingBackup == null)
                {
                    backupToCreate = InjectorBackup.Of(current, Namespace!, Name);
                }
                else if (edit.ReplacedCustomizations.Count > 0)
                {
                    // -Force replaces a customised dikastes container: the config as it was goes into the backup too,
                    // under a key of its own, so that nothing is unrecoverable.
                    var key = InjectorBackup.ReplacedConfigKeyPrefix + (JsonFields.GetString(current, "metadata", "resourceVersion") ?? "0");
                    if (JsonFields.GetString(existingBackup, "data", key) != edit.Before)
                    {
                        backupUpdate = (JsonObject)existingBackup.DeepClone();
                        JsonFields.EnsureObject(backupUpdate, "data")[key] = edit.Before;
                        JsonFields.EnsureObject(backupUpdate, "metadata").Remove("managedFields");
                        backupKey = key;
                    }
                }
            }
            var change = new FieldChange("data.config", Quote(edit.StateBefore.Image ?? "no dikastes"), Quote(_mode == InjectorLiveMode.Set ? _options!.Image : _mode == InjectorLiveMode.Remove ? "no dikastes" : "backup"));
            var payload = new InjectorConfigChange(edit, updated, backupToCreate, backupName, backupUpdate, backupKey);
            return new ResourcePlan<InjectorConfigChange>(this, ChangeAction.Updated, new[] { change }, current, payload, $"{edit.Action}: {Describe(edit)}")
            {
                Summary = backupToCreate != null ? $"Update ({change}) after saving it to {backupName}"
                    : backupKey != null ? $"Update ({change}) after saving it to {backupName} key {backupKey}" : null,
                Details = payload.Diff,
            };
        }

        private string Describe(InjectorEdit edit) => _mode switch
        {
            InjectorLiveMode.Set => $"has dikastes {_options!.Image} (Istio {edit.IstioVersion})",
            InjectorLiveMode.Remove => "has no dikastes",
            _ => "equals the backup",
        };

        private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

        protected internal override async Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<InjectorConfigChange> plan, bool dryRun, CancellationToken ct)
        {
            var payload = plan.Payload!;
            if (plan.Action != ChangeAction.Updated) return plan.Current;
            if (payload.Backup != null)
            {
                // A 409 "already exists" (someone made the backup meanwhile) re-plans: the backup is then kept as it is.
                await api.CreateAsync(Type, Namespace, payload.Backup, dryRun, ct).ConfigureAwait(false);
            }
            else if (payload.BackupUpdate != null)
            {
                // Guarded by the backup's resourceVersion as read: a concurrent change re-plans.
                await api.ReplaceAsync(Type, Namespace, payload.BackupUpdate, dryRun, ct).ConfigureAwait(false);
            }
            return await api.ReplaceAsync(Type, Namespace, payload.Updated!, dryRun, ct).ConfigureAwait(false);
        }
    }
}
