using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>The resources Enable/Disable-CalicoAppLayerPolicy manage, as intents in the order they are applied.</summary>
    public static class AppLayerPolicySetup
    {
        /// <param name="form">The generation's ext-authz EnvoyFilter form; an ext-authz of another form is replaced in place, its spec kept for Disable.</param>
        /// <param name="felixType">The type serving felixconfigurations (null: crd.projectcalico.org/v1).</param>
        public static IReadOnlyList<ResourceIntent<JsonObject>> EnableIntents(string policySyncPathPrefix, bool skipAuthorizationService, EnvoyFilterForm form, ResourceType? felixType = null)
        {
            var list = new List<ResourceIntent<JsonObject>> { FelixPolicySyncIntent.Enable(policySyncPathPrefix, felixType) };
            if (!skipAuthorizationService)
            {
                foreach (var (type, obj) in AuthorizationService.Objects(form))
                {
                    list.Add(OwnedObjectIntent.Present(type, obj, rememberPrevious: type == ResourceType.EnvoyFilter));
                }
            }
            return list;
        }

        /// <summary>
        /// Undo in reverse order: the mesh stops calling Dikastes before Felix stops serving policy sync. An ext-authz
        /// EnvoyFilter Enable replaced in place gets its previous spec back; one of any of Calico's forms is deleted.
        /// </summary>
        public static IReadOnlyList<ResourceIntent<JsonObject>> DisableIntents(bool skipAuthorizationService, bool force, ResourceType? felixType = null)
        {
            var list = new List<ResourceIntent<JsonObject>>();
            if (!skipAuthorizationService)
            {
                foreach (var (type, obj) in AuthorizationService.Objects(EnvoyFilterForm.EnvoyV3).Reverse())
                {
                    list.Add(type == ResourceType.EnvoyFilter
                        ? OwnedObjectIntent.Absent(type, obj, force, spec => AuthorizationService.FormOf(spec) != null)
                        : OwnedObjectIntent.Absent(type, obj, force));
                }
            }
            list.Add(FelixPolicySyncIntent.Disable(felixType));
            return list;
        }
    }
}
