namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The labels Felix adds to a workload endpoint (spec section 3).</summary>
    internal static class EndpointLabelNames
    {
        public const string Namespace = "projectcalico.org/namespace";
        public const string ServiceAccount = "projectcalico.org/serviceaccount";
        public const string Orchestrator = "projectcalico.org/orchestrator";
        public const string Name = "projectcalico.org/name";
    }
}
