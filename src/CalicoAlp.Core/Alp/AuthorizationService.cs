using System;
using System.Collections.Generic;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Generations;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Calico's authorization service for the mesh, one form per generation (generations spec §4): ServiceEntry
    /// 'dikastes' (the Dikastes unix socket as a mesh-external gRPC service), DestinationRule 'dikastes-mtls' (no mTLS
    /// on the local socket) and EnvoyFilter 'ext-authz' (ext_authz on every sidecar's inbound HTTP and TCP listeners,
    /// pointing at that service). ServiceEntry and DestinationRule are the same in every generation; the EnvoyFilter is
    /// istio-app-layer-policy.yaml (<see cref="EnvoyFilterForm.Filters"/>, Istio 1.0-1.4), -v1.6.yaml, -v1.7.yaml or
    /// -envoy-v3.yaml. All three use networking.istio.io/v1alpha3, which Istio 1.0 through 1.28 serve.
    /// </summary>
    public static class AuthorizationService
    {
        public const string DikastesHost = "dikastes.calico.cluster.local";
        public const string DikastesCluster = "outbound|1||" + DikastesHost;
        public const string EnvoyFilterName = "ext-authz";

        public static IReadOnlyList<(ResourceType Type, JsonObject Object)> Objects(EnvoyFilterForm form, string ns = AlpConstants.IstioNamespace) => new[]
        {
            (ResourceType.ServiceEntry, ServiceEntry(ns)),
            (ResourceType.DestinationRule, DestinationRule(ns)),
            (ResourceType.EnvoyFilter, EnvoyFilter(form, ns)),
        };

        private static JsonObject Metadata(string name, string ns) => new() { ["name"] = name, ["namespace"] = ns };

        public static JsonObject ServiceEntry(string ns) => new()
        {
            ["apiVersion"] = ResourceType.ServiceEntry.ApiVersion,
            ["kind"] = "ServiceEntry",
            ["metadata"] = Metadata("dikastes", ns),
            ["spec"] = new JsonObject
            {
                ["hosts"] = new JsonArray(DikastesHost),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "grpc", ["protocol"] = "grpc", ["number"] = 1 }),
                ["resolution"] = "STATIC",
                ["location"] = "MESH_EXTERNAL",
                ["endpoints"] = new JsonArray(new JsonObject { ["address"] = "unix:///var/run/dikastes/dikastes.sock" }),
            },
        };

        public static JsonObject DestinationRule(string ns) => new()
        {
            ["apiVersion"] = ResourceType.DestinationRule.ApiVersion,
            ["kind"] = "DestinationRule",
            ["metadata"] = Metadata("dikastes-mtls", ns),
            ["spec"] = new JsonObject
            {
                ["host"] = DikastesHost,
                ["trafficPolicy"] = new JsonObject { ["tls"] = new JsonObject { ["mode"] = "DISABLE" } },
            },
        };

        public static JsonObject EnvoyFilter(EnvoyFilterForm form, string ns) => new()
        {
            ["apiVersion"] = ResourceType.EnvoyFilter.ApiVersion,
            ["kind"] = "EnvoyFilter",
            ["metadata"] = Metadata(EnvoyFilterName, ns),
            ["spec"] = EnvoyFilterSpec(form),
        };

        /// <summary>The spec of the ext-authz EnvoyFilter in one form.</summary>
        public static JsonObject EnvoyFilterSpec(EnvoyFilterForm form) => form switch
        {
            EnvoyFilterForm.Filters => new JsonObject
            {
                ["filters"] = new JsonArray(
                    Filter("HTTP", "HTTP", new JsonObject { ["grpc_service"] = GrpcService() }),
                    Filter("TCP", "NETWORK", new JsonObject { ["stat_prefix"] = "dikastes", ["grpc_service"] = GrpcService() })),
            },
            EnvoyFilterForm.V16 => new JsonObject
            {
                ["configPatches"] = new JsonArray(
                    Patch("NETWORK_FILTER", FilterMatch("envoy.tcp_proxy", null),
                        new JsonObject { ["name"] = "envoy.ext_authz", ["config"] = new JsonObject { ["stat_prefix"] = "dikastes", ["grpc_service"] = GrpcService() } }),
                    Patch("HTTP_FILTER", FilterMatch("envoy.http_connection_manager", "envoy.router"),
                        new JsonObject { ["name"] = "envoy.ext_authz", ["config"] = new JsonObject { ["grpc_service"] = GrpcService() } })),
            },
            EnvoyFilterForm.V17 or EnvoyFilterForm.EnvoyV3 => TypedSpec(form == EnvoyFilterForm.EnvoyV3),
            _ => throw new ArgumentOutOfRangeException(nameof(form), form, null),
        };

        /// <summary>Which form an ext-authz EnvoyFilter spec is (null when it is none of Calico's: someone else's filter).</summary>
        public static EnvoyFilterForm? FormOf(JsonNode? spec)
        {
            foreach (var form in (EnvoyFilterForm[])Enum.GetValues(typeof(EnvoyFilterForm)))
            {
                if (Json.JsonDiff.DeepEquals(spec, EnvoyFilterSpec(form))) return form;
            }
            return null;
        }

        private static JsonObject TypedSpec(bool v3)
        {
            var network = new JsonObject { ["@type"] = "type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz" };
            if (v3) network["transport_api_version"] = "V3";
            network["stat_prefix"] = "dikastes";
            network["grpc_service"] = GrpcService();
            var http = new JsonObject { ["@type"] = "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz" };
            if (v3) http["transport_api_version"] = "V3";
            http["grpc_service"] = GrpcService();
            return new JsonObject
            {
                ["configPatches"] = new JsonArray(
                    Patch("NETWORK_FILTER", FilterMatch("envoy.filters.network.tcp_proxy", null),
                        new JsonObject { ["name"] = "envoy.filters.network.ext_authz", ["typed_config"] = network }),
                    Patch("HTTP_FILTER", FilterMatch("envoy.filters.network.http_connection_manager", "envoy.filters.http.router"),
                        new JsonObject { ["name"] = "envoy.filters.http.ext_authz", ["typed_config"] = http })),
            };
        }

        private static JsonObject GrpcService() => new() { ["envoy_grpc"] = new JsonObject { ["cluster_name"] = DikastesCluster } };

        private static JsonObject FilterMatch(string filter, string? subFilter)
        {
            var f = new JsonObject { ["name"] = filter };
            if (subFilter != null) f["subFilter"] = new JsonObject { ["name"] = subFilter };
            return new JsonObject
            {
                ["context"] = "SIDECAR_INBOUND",
                ["listener"] = new JsonObject { ["filterChain"] = new JsonObject { ["filter"] = f } },
            };
        }

        private static JsonObject Patch(string applyTo, JsonObject match, JsonObject value) => new()
        {
            ["applyTo"] = applyTo,
            ["match"] = match,
            ["patch"] = new JsonObject { ["operation"] = "INSERT_BEFORE", ["value"] = value },
        };

        private static JsonObject Filter(string listenerProtocol, string filterType, JsonObject config) => new()
        {
            ["insertPosition"] = new JsonObject { ["index"] = "FIRST" },
            ["listenerMatch"] = new JsonObject { ["listenerType"] = "SIDECAR_INBOUND", ["listenerProtocol"] = listenerProtocol },
            ["filterType"] = filterType,
            ["filterName"] = "envoy.ext_authz",
            ["filterConfig"] = config,
        };
    }
}
