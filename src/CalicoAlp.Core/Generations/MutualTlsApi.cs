namespace CalicoAlp.Core.Generations
{
    /// <summary>Where a generation declares mesh-wide mutual TLS.</summary>
    public enum MutualTlsApi
    {
        /// <summary><c>authentication.istio.io/v1alpha1</c> MeshPolicy <c>default</c> (Istio up to 1.5).</summary>
        MeshPolicy,
        /// <summary><c>security.istio.io/v1beta1</c> PeerAuthentication in the root namespace (Istio 1.6+).</summary>
        PeerAuthentication,
    }
}
