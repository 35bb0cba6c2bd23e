using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Why the decision was taken.</summary>
    public enum DecisionReason
    {
        /// <summary>A policy rule with action Allow or Deny matched.</summary>
        PolicyRule,
        /// <summary>No policy in the tier decided; the tier's default action (Deny) applied.</summary>
        TierDefaultAction,
        /// <summary>A profile rule matched (Allow; Deny or Pass deny).</summary>
        ProfileRule,
        /// <summary>Profiles were reached but none of their rules matched.</summary>
        NoProfileMatched,
        /// <summary>Tiers passed (or none applied) and the endpoint has no profiles.</summary>
        NoProfiles,
        /// <summary>No local endpoint to evaluate against.</summary>
        NoEndpoint,
        /// <summary>Classic (&lt;= v3.29): the first tier had no policy for this direction.</summary>
        ClassicEmptyTier,
        /// <summary>Classic (&lt;= v3.29): the SPIFFE principal was malformed.</summary>
        MalformedPrincipal,
        /// <summary>A rule with http.paths was reached and the request path is not usable (INVALID_ARGUMENT).</summary>
        InvalidPath,
    }
}
