using System.Collections.Generic;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Alp
{
    /// <summary>
    /// Calico's authorization service for the mesh (istio-app-layer-policy.yaml, Calico v3.9-v3.16, Istio 1.0-1.4):
    /// ServiceEntry 'dikastes' (the Dikastes unix socket as a mesh-external gRPC service), DestinationRule
    /// 'dikastes-mtls' (no mTLS on the local socket) and EnvoyFilter 'ext-authz' (ext_authz on every sidecar's inbound
    /// HTTP and TCP listeners, pointing at that service).
    /// </summary>
    public static class AuthorizationService
    {
        public const string DikastesHost = "dikastes.calico.cluster.local";
        public const string DikastesCluster = "outbound|1||" + DikastesHost;

        public static IReadOnlyList<(ResourceType Type, JsonObject Object)> Objects(string ns = AlpConstants.IstioNamespace) => new[]
        {
            (ResourceType.ServiceEntry, ServiceEntry(ns)),
            (ResourceType.DestinationRule, DestinationRule(ns)),
            (ResourceType.EnvoyFilter, EnvoyFilter(ns)),
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

        public static JsonObject EnvoyFilter(string ns) => new()
        {
            ["apiVersion"] = ResourceType.EnvoyFilter.ApiVersion,
            ["kind"] = "EnvoyFilter",
            ["metadata"] = Metadata("ext-authz", ns),
            ["spec"] = new JsonObject
            {
                ["filters"] = new JsonArray(
                    Filter("HTTP", "HTTP", new JsonObject { ["grpc_service"] = GrpcService() }),
                    Filter("TCP", "NETWORK", new JsonObject { ["stat_prefix"] = "dikastes", ["grpc_service"] = GrpcService() })),
            },
        };

        private static JsonObject GrpcService() => new() { ["envoy_grpc"] = new JsonObject { ["cluster_name"] = DikastesCluster } };

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
