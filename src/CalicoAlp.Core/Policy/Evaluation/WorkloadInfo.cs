using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>A workload (Calico endpoint): namespace, service account and pod labels.</summary>
    public sealed record WorkloadInfo(string Namespace, string ServiceAccount, IReadOnlyDictionary<string, string> Labels)
    {
        public string Principal => SpiffeIdentity.For(Namespace, ServiceAccount);

        /// <summary>Named container ports (only Calico &lt;= 3.29 matched rules' named ports against them, spec 9.1).</summary>
        public IReadOnlyList<NamedPort> NamedPorts { get; init; } = [];
    }
}
