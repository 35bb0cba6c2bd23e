using System;
using System.Collections.Generic;
using CalicoAlp.Core.Policy.Model;
using CalicoAlp.Core.Policy.Selectors;

namespace CalicoAlp.Core.Policy.Evaluation
{
    internal static class EmptyLabels
    {
        public static readonly IReadOnlyDictionary<string, string> Instance = new Dictionary<string, string>(StringComparer.Ordinal);
    }
}
