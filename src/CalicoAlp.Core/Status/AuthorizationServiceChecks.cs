using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Kube;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Status
{
    /// <summary>
    /// Calico's authorization-service objects (ServiceEntry dikastes, DestinationRule dikastes-mtls, EnvoyFilter
    /// ext-authz) in the form of the cluster's Istio generation: the plans of Enable-CalicoAppLayerPolicy's own intents,
    /// so the check passes exactly when Enable would leave them as they are (a copy applied by hand from Calico's file,
    /// without CalicoAlp's label, passes too).
    /// </summary>
    internal static class AuthorizationServiceChecks
    {
        public static async Task RunAsync(StatusReport report, KubeApi api, PrerequisiteReport prerequisites, CancellationToken ct)
        {
            if (!prerequisites.IstioFound)
            {
                report.Add("AuthorizationService", "AuthorizationService.Objects", AlpCheckStatus.Skipped, "Not checked: Istio was not found.");
                return;
            }
            var form = prerequisites.Generation?.EnvoyFilter ?? EnvoyFilterForm.EnvoyV3;
            var intents = AppLayerPolicySetup.EnableIntents(AlpConstants.DefaultPolicySyncPathPrefix, false, form, prerequisites.FelixConfigurationType).Skip(1).ToList();
            var missing = new List<string>();
            var differing = new List<string>();
            var objects = new List<string>();
            foreach (var intent in intents)
            {
                var plan = await intent.PlanAsync(api, ct).ConfigureAwait(false);
                var display = $"{intent.Type.Kind} {intent.Namespace}/{intent.Name}";
                objects.Add(display);
                var onlyLabel = plan.Action == ChangeAction.Updated && plan.Changes.All(c => c.Path == $"metadata.labels.{AlpConstants.ManagedByLabel}");
                if (plan.Action == ChangeAction.Created)
                {
                    missing.Add(display);
                }
                else if (plan.Action == ChangeAction.Updated && !onlyLabel)
                {
                    var why = intent.Type == ResourceType.EnvoyFilter && AuthorizationService.FormOf(plan.Current?["spec"]) is { } found
                        ? $"{display} has Calico's {found} form; {(prerequisites.Generation?.ToString() ?? "this Istio")} needs the {form} form ({prerequisites.Generation?.CalicoFilterFile})"
                        : $"{display} differs from Calico's ({string.Join(", ", plan.Changes.Take(3).Select(c => c.Path))})";
                    differing.Add(why);
                }
            }
            var fix = report.Command("Enable-CalicoAppLayerPolicy", revision: true);
            if (missing.Count == intents.Count)
            {
                report.Add("AuthorizationService", "AuthorizationService.Objects", AlpCheckStatus.Fail,
                    "The authorization service is not configured: Envoy never asks Dikastes, so no application layer policy is enforced.", objects, fix, AlpRepairKind.AuthorizationService);
            }
            else if (missing.Count > 0 || differing.Count > 0)
            {
                var parts = new List<string>();
                if (missing.Count > 0) parts.Add("missing: " + string.Join(", ", missing));
                parts.AddRange(differing);
                report.Add("AuthorizationService", "AuthorizationService.Objects", AlpCheckStatus.Fail,
                    $"The authorization service is not as Calico's {prerequisites.Generation?.CalicoFilterFile ?? "files"} for this generation have it: {string.Join("; ", parts)}. A filter of another generation's form can stop all traffic (projectcalico/calico#4516).",
                    objects, fix, AlpRepairKind.AuthorizationService);
            }
            else
            {
                report.Add("AuthorizationService", "AuthorizationService.Objects", AlpCheckStatus.Pass,
                    $"ServiceEntry, DestinationRule and EnvoyFilter ext-authz present, in the {form} form.", objects);
            }
        }
    }
}
