using CalicoAlp.Core.Changes;

namespace CalicoAlp.Core.Injector
{
    /// <summary>A planned live change of the injector ConfigMap and the options it was planned with.</summary>
    public sealed class InjectorLivePlan
    {
        internal InjectorLivePlan(ResourcePlan<InjectorConfigChange> plan, DikastesSidecarOptions? options, string? calicoVersionSource)
        {
            Plan = plan;
            Options = options;
            CalicoVersionSource = calicoVersionSource;
        }

        public ResourcePlan<InjectorConfigChange> Plan { get; }
        public DikastesSidecarOptions? Options { get; }
        /// <summary>Where the Calico version came from (-CalicoVersion, the -DikastesImage tag, or the cluster).</summary>
        public string? CalicoVersionSource { get; }
        public InjectorEdit Edit => Plan.Payload!.Edit;
    }
}
