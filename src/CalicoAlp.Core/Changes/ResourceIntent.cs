using CalicoAlp.Core.Kube;

namespace CalicoAlp.Core.Changes
{
    /// <summary>
    /// The desired state of one resource, as the <see cref="ChangeRunner"/> sees it: what it is (type, namespace,
    /// name). <see cref="ResourceIntent{TPayload}"/> adds planning (reads only) and the write of a plan.
    /// </summary>
    public abstract class ResourceIntent
    {
        public abstract ResourceType Type { get; }
        public abstract string? Namespace { get; }
        public abstract string Name { get; }

        public string Display => $"{Type.Kind} {(Namespace == null ? "" : Namespace + "/")}{Name}";
    }
}
