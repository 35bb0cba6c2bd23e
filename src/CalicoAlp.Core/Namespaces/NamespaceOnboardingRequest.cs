using System.Collections.Generic;

namespace CalicoAlp.Core.Namespaces
{
    /// <summary>What Add-AlpNamespace (<see cref="Enable"/>) or Remove-AlpNamespace asks of one cluster.</summary>
    /// <param name="Enable">True: put under ALP (label istio-injection=enabled); false: take out of ALP.</param>
    /// <param name="Names">Names or wildcard patterns (ignored with <paramref name="All"/>).</param>
    /// <param name="All">Every namespace, narrowed by <paramref name="Selector"/>.</param>
    /// <param name="Selector">A Kubernetes label selector for <paramref name="All"/>.</param>
    /// <param name="Restart">Rolling restarts of the workloads whose pods need recreating.</param>
    /// <param name="Force">Also act on protected namespaces and explicit opt-outs; delete bare pods with <paramref name="Restart"/>.</param>
    /// <param name="AllowIstioPilot">(Enable) Create Calico's allow-istio-pilot policy where Envoy's egress to pilot is blocked.</param>
    /// <param name="Revision">An Istio revision: the namespace is labelled (Add) or unlabelled (Remove) istio.io/rev=&lt;rev&gt; instead of istio-injection.</param>
    public sealed record NamespaceOnboardingRequest(bool Enable, IReadOnlyCollection<string> Names, bool All, string? Selector, bool Restart, bool Force, bool AllowIstioPilot,
        string? Revision = null);
}
