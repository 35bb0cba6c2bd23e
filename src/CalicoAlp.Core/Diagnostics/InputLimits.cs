using System;
using System.Globalization;

namespace CalicoAlp.Core.Diagnostics
{
    /// <summary>
    /// Bounds on untrusted input (policy files, cluster objects, injector documents, kubeconfigs, access logs), so that
    /// hostile input ends in a clear error instead of exhausting the stack, memory or time of the user's PowerShell
    /// process. docs/bad-input.md lists them with the error each gives; docs/Test-AlpRequest.md ("Limits") for users.
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

        /// <summary>The environment variable that raises (or lowers) <see cref="MaxFileBytes"/>, in MiB.</summary>
        public const string MaxFileMegabytesVariable = "CALICOALP_MAX_INPUT_MB";

        /// <summary>Default largest YAML/JSON file (policy file, kubeconfig, injector ConfigMap) read whole: 16 MiB.</summary>
        public const long DefaultMaxFileBytes = 16L * 1024 * 1024;

        /// <summary>
        /// Largest YAML/JSON file read whole. 16 MiB holds some 20,000 Calico policies as `kubectl get -o yaml` prints
        /// them (about 800 bytes each); the representation model costs some 40 bytes of memory per byte of YAML, so
        /// 16 MiB stays under a gigabyte where 200 MB took more than 8 GB. $env:CALICOALP_MAX_INPUT_MB overrides it
        /// (1..4096) for one-off huge sets. Access logs are streamed, not read whole: this limit does not apply to them.
        /// </summary>
        public static long MaxFileBytes
        {
            get
            {
                var text = Environment.GetEnvironmentVariable(MaxFileMegabytesVariable);
                if (!string.IsNullOrWhiteSpace(text) &&
                    long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb >= 1 && mb <= 4096)
                {
                    return mb * 1024 * 1024;
                }
                return DefaultMaxFileBytes;
            }
        }

        /// <summary>
        /// Most YAML nodes (scalars, mappings, sequences) one file or object may expand to, counting every node an alias
        /// repeats as often as it is repeated: a "billion laughs" alias bomb of a few KB expands to billions. One node
        /// per 8 bytes of <see cref="MaxFileBytes"/> (2,097,152 at the default): far more than real YAML of that size
        /// holds (a Calico policy averages one node per 12-20 bytes), so only alias expansion reaches it.
        /// </summary>
        public static long MaxYamlNodes => Math.Max(1_000_000, MaxFileBytes / 8);

        /// <summary>
        /// Most documents in one multi-document YAML stream. kubectl prints many objects as one List document; 50,000
        /// `---`-separated objects is more than any real file holds, and each costs memory even when empty.
        /// </summary>
        public const int MaxYamlDocuments = 50_000;

        /// <summary>
        /// Longest access-log line (bytes). Envoy's JSON and text access-log lines are well under 64 KiB (headers are
        /// capped by Envoy at 60 KiB by default); a longer line is reported as a bad line and skipped without being held
        /// whole, so a file of one endless line is read in constant memory.
        /// </summary>
        public const int MaxAccessLogLineBytes = 1024 * 1024;
    }
}
