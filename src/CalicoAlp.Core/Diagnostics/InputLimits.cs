namespace CalicoAlp.Core.Diagnostics
{
    /// <summary>
    /// Bounds on untrusted input (policy files, cluster objects, injector documents, kubeconfigs), so that hostile input
    /// ends in a clear error instead of exhausting the stack, memory or time of the user's PowerShell process.
    /// docs/Test-AlpRequest.md ("Limits") lists them for users.
    /// </summary>
    public static class InputLimits
    {
        /// <summary>
        /// Deepest nesting of mappings and sequences in a YAML or JSON document. 64 is System.Text.Json's default
        /// MaxDepth, which already applies to every object the module reads from the API server, so a file is held to
        /// the same limit as the cluster's own objects. Calico and Kubernetes objects (with kubectl's managedFields) nest
        /// fewer than 20 levels.
        /// </summary>
        public const int DocumentNesting = 64;

        /// <summary>
        /// Deepest nesting of parenthesised groups in a Calico selector. Calico's parser (libcalico-go
        /// lib/selector/parser) has no limit of its own (it relies on Go's growable stacks); a hand- or tool-written
        /// selector nests a few levels, and 256 keeps parsing and evaluation well inside a 1 MB thread stack.
        /// </summary>
        public const int SelectorNesting = 256;
    }
}
