using System.Collections.Generic;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Changes;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>The resources Enable/Disable-CalicoAppLayerPolicy manage, as intents in the order they are applied.</summary>
    public static class AppLayerPolicySetup
    {
        public static IReadOnlyList<ResourceIntent<JsonObject>> EnableIntents(string policySyncPathPrefix, bool skipAuthorizationService)
        {
            var list = new List<ResourceIntent<JsonObject>> { FelixPolicySyncIntent.Enable(policySyncPathPrefix) };
            if (!skipAuthorizationService)
            {
                foreach (var (type, obj) in AuthorizationService.Objects())
                {
                    list.Add(OwnedObjectIntent.Present(type, obj));
                }
            }
            return list;
        }

        /// <summary>Undo in reverse order: the mesh stops calling Dikastes before Felix stops serving policy sync.</summary>
        public static IReadOnlyList<ResourceIntent<JsonObject>> DisableIntents(bool skipAuthorizationService, bool force)
        {
            var list = new List<ResourceIntent<JsonObject>>();
            if (!skipAuthorizationService)
            {
                var objects = new List<(ResourceType Type, System.Text.Json.Nodes.JsonObject Object)>(AuthorizationService.Objects());
                objects.Reverse();
                foreach (var (type, obj) in objects)
                {
                    list.Add(OwnedObjectIntent.Absent(type, obj, force));
                }
            }
            list.Add(FelixPolicySyncIntent.Disable());
            return list;
        }
    }
}
