using System.Text.Json.Nodes;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Json;

namespace CalicoAlp.Core.Injector
{
    /// <summary>
    /// The backup ConfigMap &lt;name&gt;-calicoalp-backup next to the injector ConfigMap: created once, before the first
    /// change, with the injector's data as it was; never overwritten afterwards (so it keeps the pre-Calico config).
    /// </summary>
    public static class InjectorBackup
    {
        public const string BackupOfAnnotation = "calicoalp.io/backup-of";
        public const string SourceResourceVersionAnnotation = "calicoalp.io/backup-of-resource-version";

        /// <summary>Prefix of the backup keys that keep a config whose customised dikastes container -Force replaced
        /// (followed by the injector's resourceVersion it was read at).</summary>
        public const string ReplacedConfigKeyPrefix = "config-before-force-rv";

        public static string NameFor(string name) => name + "-calicoalp-backup";

        /// <summary>The backup of <paramref name="source"/> (the injector ConfigMap as read) to create.</summary>
        public static JsonObject Of(JsonObject source, string ns, string name)
        {
            var data = new JsonObject();
            if (source["data"] is JsonObject d)
            {
                foreach (var kv in d) data[kv.Key] = kv.Value?.DeepClone();
            }
            return new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = new JsonObject
                {
                    ["name"] = NameFor(name),
                    ["namespace"] = ns,
                    ["labels"] = new JsonObject { [AlpConstants.ManagedByLabel] = AlpConstants.ManagedByValue },
                    ["annotations"] = new JsonObject
                    {
                        [BackupOfAnnotation] = $"{ns}/{name}",
                        [SourceResourceVersionAnnotation] = JsonFields.GetString(source, "metadata", "resourceVersion") ?? "",
                    },
                },
                ["data"] = data,
            };
        }
    }
}
