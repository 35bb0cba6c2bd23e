using System.Text.Json.Nodes;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// The payload of an injector ConfigMap plan: the edit of data.config, the ConfigMap to PUT and, before the first
    /// change, the backup ConfigMap to create (or, when -Force replaces a customised dikastes container, the backup to update).
    /// </summary>
    public sealed class InjectorConfigChange
    {
        public InjectorConfigChange(InjectorEdit edit, JsonObject? updated, JsonObject? backup, string? backupName,
            JsonObject? backupUpdate = null, string? backupKey = null)
        {
            BackupUpdate = backupUpdate;
            BackupKey = backupKey;
            Edit = edit;
            Updated = updated;
            Backup = backup;
            BackupName = backupName;
        }

        public InjectorEdit Edit { get; }
        /// <summary>The ConfigMap with the edited data.config (null when unchanged).</summary>
        public JsonObject? Updated { get; }
        /// <summary>The backup ConfigMap to create first (null when it exists already or nothing is written).</summary>
        public JsonObject? Backup { get; }
        /// <summary>The existing backup with one more key (<see cref="BackupKey"/>) holding the config whose customised dikastes
        /// container -Force replaces, to PUT first (null otherwise).</summary>
        public JsonObject? BackupUpdate { get; }
        /// <summary>The backup key added by <see cref="BackupUpdate"/>.</summary>
        public string? BackupKey { get; }
        /// <summary>"namespace/name" of the backup that holds the config from before the first change (null: no write, or a restore).</summary>
        public string? BackupName { get; }

        /// <summary>The unified diff of data.config.</summary>
        public string Diff => UnifiedDiff.Create(Edit.Before, Edit.After, "a/data.config", "b/data.config");
    }
}
