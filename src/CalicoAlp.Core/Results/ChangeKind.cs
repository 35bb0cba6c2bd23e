using CalicoAlp.Core.Policy.Comparison;

namespace CalicoAlp.Core.Results
{
    /// <summary>How a request's decision differs between the reference and the difference policy set.</summary>
    public enum ChangeKind
    {
        /// <summary>Same verdict, decided by the same tier, policy (or profile) and rule.</summary>
        Unchanged,
        /// <summary>Allowed by the reference set, denied by the difference set.</summary>
        NewlyDenied,
        /// <summary>Denied by the reference set, allowed by the difference set.</summary>
        NewlyAllowed,
        /// <summary>Same verdict, but another rule (or policy, tier, reason) decided it.</summary>
        OtherRule,
    }
}
