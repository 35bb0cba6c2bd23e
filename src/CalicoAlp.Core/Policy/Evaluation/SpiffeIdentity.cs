namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Identity taken from a SPIFFE principal (spec section 2).</summary>
    public static class SpiffeIdentity
    {
        /// <summary>
        /// Matches <c>^spiffe://[^/]+/ns/([^/]+)/sa/([^/]+)$</c>. Returns false for anything else (malformed).
        /// The trust domain is ignored; 'ns' and 'sa' are case-sensitive.
        /// </summary>
        public static bool TryParse(string principal, out string ns, out string sa)
        {
            ns = sa = "";
            const string scheme = "spiffe://";
            if (!principal.StartsWith(scheme, System.StringComparison.Ordinal)) return false;
            var parts = principal.Substring(scheme.Length).Split('/');
            if (parts.Length != 5) return false;
            if (parts[0].Length == 0 || parts[1] != "ns" || parts[2].Length == 0 || parts[3] != "sa" || parts[4].Length == 0) return false;
            ns = parts[2];
            sa = parts[4];
            return true;
        }

        public static string For(string ns, string sa) => $"spiffe://cluster.local/ns/{ns}/sa/{sa}";
    }
}
