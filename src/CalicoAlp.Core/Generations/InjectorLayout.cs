namespace CalicoAlp.Core.Generations
{
    /// <summary>How an Istio release lays out the sidecar injector config (<c>data.config</c>), and so where Calico's additions go.</summary>
    public enum InjectorLayout
    {
        /// <summary>Istio 1.0-1.4: one <c>template:</c> pod fragment (Calico v3.8-v3.16 files).</summary>
        SingleTemplateLegacy,
        /// <summary>Istio 1.6: one <c>template: |</c>; volumes go before the <c>podDNSSearchNamespaces</c> <c>if</c>.</summary>
        SingleTemplate16,
        /// <summary>Istio 1.7 (and 1.8 with -Force): as 1.6, the mount and container go before the <c>ISTIO_META_DNS_CAPTURE</c> dnsConfig block.</summary>
        SingleTemplate17,
        /// <summary>Istio 1.9-1.21: a <c>templates:</c> map; Calico patches <c>sidecar</c> and <c>gateway</c>, nothing else.</summary>
        TemplatesMap,
        /// <summary>Istio 1.22+: Calico's current method adds templates <c>dikastes</c> and <c>dikastes-gateway</c> (native sidecars), stock templates untouched.</summary>
        DikastesTemplates,
    }
}
