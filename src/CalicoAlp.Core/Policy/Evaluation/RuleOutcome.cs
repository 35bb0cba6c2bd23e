using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>The result of matching one rule against a prepared request.</summary>
    internal enum RuleOutcome
    {
        NoMatch,
        Match,
        /// <summary>The rule has http.paths and the request path is unusable (Dikastes answers INVALID_ARGUMENT).</summary>
        InvalidArgument,
    }
}
