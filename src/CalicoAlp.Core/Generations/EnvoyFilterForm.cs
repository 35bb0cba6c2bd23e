namespace CalicoAlp.Core.Generations
{
    /// <summary>Which of Calico's ext-authz EnvoyFilter files a generation uses (generations spec §4).</summary>
    public enum EnvoyFilterForm
    {
        /// <summary><c>spec.filters</c> (istio-app-layer-policy.yaml, Istio 1.0-1.4).</summary>
        Filters,
        /// <summary><c>configPatches</c> with untyped <c>config</c> and envoy.* names (istio-app-layer-policy-v1.6.yaml).</summary>
        V16,
        /// <summary><c>configPatches</c> with typed v3 configs (istio-app-layer-policy-v1.7.yaml).</summary>
        V17,
        /// <summary>As <see cref="V17"/> plus <c>transport_api_version: V3</c> (istio-app-layer-policy-envoy-v3.yaml, Istio 1.9+).</summary>
        EnvoyV3,
    }
}
