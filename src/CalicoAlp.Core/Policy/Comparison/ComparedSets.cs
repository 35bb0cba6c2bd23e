using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Model;

namespace CalicoAlp.Core.Policy.Comparison
{
    /// <summary>
    /// The two policy sets of a comparison, ready to compile: loaded with errors naming their role, each completed with
    /// the Pods, Namespaces and ServiceAccounts only the other one has (so a workload is the same on both sides), the
    /// difference set's staged policies promoted when asked, and whether the two sets are identical.
    /// </summary>
    public sealed class ComparedSets
    {
        private ComparedSets(PolicySet reference, PolicySet difference, int promoted)
        {
            Reference = reference;
            Difference = difference;
            PromotedStaged = promoted;
            Identical = Canonical(reference).SequenceEqual(Canonical(difference), StringComparer.Ordinal);
        }

        public PolicySet Reference { get; }
        public PolicySet Difference { get; }
        /// <summary>Staged policies of the difference set evaluated as enforced (0 without promotion).</summary>
        public int PromotedStaged { get; }
        /// <summary>The sets hold the same tiers, policies, profiles and workloads (where they were read from aside).</summary>
        public bool Identical { get; }

        /// <summary>The files or folders of one side merged (in order); a bad file stops with an error naming the side.</summary>
        public static PolicySet Load(PolicySetRole role, IEnumerable<string> paths,
            System.Threading.CancellationToken cancellationToken = default, System.Action<string>? warning = null)
        {
            try
            {
                return PolicyLoader.LoadPaths(paths, cancellationToken, warning);
            }
            catch (AlpException ex)
            {
                throw InRole(role, ex);
            }
        }

        /// <summary>The error <paramref name="ex"/> with the side it came from in front of its message (same id, kind and target).</summary>
        public static AlpException InRole(PolicySetRole role, AlpException ex) =>
            new(ex.ErrorId, ex.Kind, $"{role} policy set: {ex.Message}", ex.Target, ex) { RecommendedAction = ex.RecommendedAction };

        /// <summary>Both sides completed with each other's workloads; with <paramref name="promoteStaged"/> the difference set's
        /// staged policies become enforced ones.</summary>
        public static ComparedSets Create(PolicySet reference, PolicySet difference, bool promoteStaged)
        {
            int promoted = 0;
            if (promoteStaged) difference = StagedPromotion.Promote(difference, out promoted);
            return new ComparedSets(WithWorkloadsOf(reference, difference), WithWorkloadsOf(difference, reference), promoted);
        }

        /// <summary>Compiles both sides for the same Calico version (bad objects were rejected by the loader, naming their side).</summary>
        public (PolicyEngine Reference, PolicyEngine Difference) Compile(CalicoBehavior behavior) =>
            (PolicyEngine.Compile(Reference, behavior), PolicyEngine.Compile(Difference, behavior));

        /// <summary><paramref name="set"/> plus the Pods, Namespaces and ServiceAccounts of <paramref name="other"/> it does not
        /// define itself (its own definitions win: a label change in the difference set stays a change).</summary>
        private static PolicySet WithWorkloadsOf(PolicySet set, PolicySet other)
        {
            var namespaces = new HashSet<string>(set.Namespaces.Select(n => n.Name), StringComparer.Ordinal);
            var accounts = new HashSet<string>(set.ServiceAccounts.Select(a => a.Namespace + "/" + a.Name), StringComparer.Ordinal);
            var pods = new HashSet<string>(set.Pods.Select(p => p.Namespace + "/" + p.Name), StringComparer.Ordinal);
            var addNamespaces = other.Namespaces.Where(n => !namespaces.Contains(n.Name)).ToList();
            var addAccounts = other.ServiceAccounts.Where(a => !accounts.Contains(a.Namespace + "/" + a.Name)).ToList();
            var addPods = other.Pods.Where(p => !pods.Contains(p.Namespace + "/" + p.Name)).ToList();
            if (addNamespaces.Count == 0 && addAccounts.Count == 0 && addPods.Count == 0) return set;
            return set with
            {
                Namespaces = [.. set.Namespaces, .. addNamespaces],
                ServiceAccounts = [.. set.ServiceAccounts, .. addAccounts],
                Pods = [.. set.Pods, .. addPods],
            };
        }

        private static readonly JsonSerializerOptions CanonicalOptions = new()
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver
            {
                Modifiers =
                {
                    info =>
                    {
                        // Where an object was read from is not part of what it means.
                        for (int i = info.Properties.Count - 1; i >= 0; i--)
                        {
                            if (info.Properties[i].PropertyType == typeof(SourceLocation)) info.Properties.RemoveAt(i);
                        }
                    },
                },
            },
        };

        /// <summary>Every object of the set as JSON without its location, sorted: equal lists = the same set in any file order.</summary>
        private static List<string> Canonical(PolicySet set)
        {
            var items = new List<string>();
            void Add<T>(string kind, IEnumerable<T> values)
            {
                foreach (var v in values) items.Add(kind + JsonSerializer.Serialize(v, CanonicalOptions));
            }
            Add("tier", set.Tiers);
            Add("policy", set.Policies);
            Add("profile", set.Profiles);
            Add("namespace", set.Namespaces);
            Add("serviceaccount", set.ServiceAccounts);
            Add("pod", set.Pods);
            items.Sort(StringComparer.Ordinal);
            return items;
        }
    }
}
