using System;
using System.Collections.Generic;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// One cluster a cmdlet was asked to work on: the kubeconfig files (resolved paths; empty: kubectl's defaults) and
    /// the context (null: the current context). Equal targets share one connection and are worked on once.
    /// </summary>
    internal sealed record ClusterTarget(IReadOnlyList<string> Kubeconfig, string? Context, bool SkipTlsVerify)
    {
        public string Key => string.Join("\u0001", Kubeconfig) + "\u0002" + Context + "\u0002" + SkipTlsVerify;

        /// <summary>How the target is named before it is connected (in errors about it): the context, or "(current context)".</summary>
        public string DisplayName => string.IsNullOrEmpty(Context) ? "(current context)" : Context;

        public bool Equals(ClusterTarget? other) => other != null && string.Equals(Key, other.Key, StringComparison.Ordinal);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);
    }
}
