using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Changes
{
    /// <summary>
    /// An intent whose plans carry a payload of type <typeparamref name="TPayload"/> (the body to write, or a richer
    /// value such as the injector edit). Planning reads the cluster and computes the change; writing performs it,
    /// guarded by the resourceVersion read during planning. The <see cref="ChangeRunner"/> confirms, validates (server-side
    /// dry run) and writes between the two, and re-plans after a 409.
    /// </summary>
    public abstract class ResourceIntent<TPayload> : ResourceIntent
    {
        public abstract Task<ResourcePlan<TPayload>> PlanAsync(KubeApi api, CancellationToken ct);

        /// <summary>Performs the planned write (or a server-side dry run of it); returns the object as the server stored (or would store) it, null after a delete.</summary>
        protected internal abstract Task<JsonObject?> WriteAsync(KubeApi api, ResourcePlan<TPayload> plan, bool dryRun, CancellationToken ct);
    }
}
