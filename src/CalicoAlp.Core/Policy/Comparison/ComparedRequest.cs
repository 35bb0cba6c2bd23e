using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Results;

namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>A request, both decisions and where it came from (file and line; null/0 for a piped request), kept until output.</summary>
    public readonly record struct ComparedRequest(ChangeKind Change, AlpRequest Request, PolicyDecision Reference, PolicyDecision Difference, string? File, long Line);
}
