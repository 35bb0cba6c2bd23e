using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Threading;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>
    /// Resolves what a request names against a <see cref="CompiledPolicySet"/>: workloads to endpoints (Felix's endpoint
    /// labels, IP-set memberships, the tiers whose policies select them), principals to peer identities, profile names to
    /// compiled profiles (with Calico's per-namespace defaults), Pod IPs to workloads, and a whole request to a
    /// <see cref="PreparedRequest"/>. Results are cached per workload, principal and profile name (thread-safe).
    /// </summary>
    internal sealed class EndpointResolver
    {
        /// <summary>Entries kept per cache; beyond this, new endpoints and identities are resolved each time.</summary>
        private const int CacheLimit = 100_000;

        private readonly CompiledPolicySet _set;
        private readonly CalicoBehavior _behavior;
        private readonly ConcurrentDictionary<ulong, EndpointContext> _endpoints = new();
        private readonly ConcurrentDictionary<string, Peer> _peers = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, CompiledProfile> _defaultProfiles = new(StringComparer.Ordinal);
        private Dictionary<IPAddress, WorkloadInfo>? _podsByIp;

        public EndpointResolver(CompiledPolicySet set)
        {
            _set = set;
            _behavior = set.Behavior;
        }

        private IReadOnlyDictionary<string, string>? NamespaceLabelsOf(string ns)
        {
            if (_set.NamespaceLabels.TryGetValue(ns, out var l)) return l;
            return _set.ImplicitNamespaces ? PolicyCompiler.WithName(EmptyLabels.Instance, ns) : null;
        }

        private IReadOnlyDictionary<string, string>? ServiceAccountLabelsOf(string ns, string sa)
        {
            if (_set.ServiceAccountLabels.TryGetValue(ns + "/" + sa, out var l)) return l;
            return _set.ImplicitNamespaces ? PolicyCompiler.WithName(EmptyLabels.Instance, sa) : null;
        }

        /// <summary>Endpoint labels as Felix computes them (spec section 3).</summary>
        public IReadOnlyDictionary<string, string> EndpointLabels(WorkloadInfo w)
        {
            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            var nsLabels = NamespaceLabelsOf(w.Namespace);
            if (nsLabels != null)
            {
                foreach (var kv in nsLabels) d["pcns." + kv.Key] = kv.Value;
            }
            var saLabels = w.ServiceAccount.Length > 0 ? ServiceAccountLabelsOf(w.Namespace, w.ServiceAccount) : null;
            if (saLabels != null)
            {
                foreach (var kv in saLabels) d["pcsa." + kv.Key] = kv.Value;
            }
            foreach (var kv in w.Labels) d[kv.Key] = kv.Value;
            d[EndpointLabelNames.Namespace] = w.Namespace;
            d[EndpointLabelNames.Orchestrator] = "k8s";
            if (w.ServiceAccount.Length > 0) d[EndpointLabelNames.ServiceAccount] = w.ServiceAccount;
            return d;
        }

        /// <summary>Resolves (and caches per workload) an endpoint: labels, IP-set memberships and the tiers that apply.</summary>
        public EndpointContext GetEndpoint(WorkloadInfo w)
        {
            var key = WorkloadHash.Of(w);
            if (_endpoints.TryGetValue(key, out var ep) && WorkloadHash.SameWorkload(ep.Workload, w)) return ep;
            var labels = EndpointLabels(w);
            var ipSets = _set.IpSets;
            var membership = new bool[ipSets.Length];
            for (int i = 0; i < membership.Length; i++) membership[i] = ipSets[i].Matches(labels);
            var views = new List<TierView>();
            foreach (var tier in _set.Tiers)
            {
                var ingress = new List<CompiledPolicy>();
                var egress = new List<CompiledPolicy>();
                bool any = false;
                foreach (var p in tier.Policies)
                {
                    // Classic Felix had no staged kinds: they are not sent at all.
                    if (p.Staged && _behavior.IsClassic) continue;
                    if (!p.AppliesTo.Matches(labels)) continue;
                    any = true;
                    if (p.IngressType) ingress.Add(p);
                    if (p.EgressType) egress.Add(p);
                }
                if (any)
                {
                    views.Add(new TierView
                    {
                        Tier = tier,
                        Ingress = ingress.ToArray(),
                        Egress = egress.ToArray(),
                        IngressEnforced = ingress.Exists(p => !p.Staged || _behavior.StagedEnforced),
                        EgressEnforced = egress.Exists(p => !p.Staged || _behavior.StagedEnforced),
                    });
                }
            }
            ep = new EndpointContext(w, labels, membership, views.ToArray());
            // A hash collision with a different workload keeps the first one cached (the other is resolved each time).
            if (_endpoints.Count < CacheLimit) _endpoints.TryAdd(key, ep);
            return ep;
        }

        /// <summary>The peer identity of a SPIFFE principal (spec section 2): plaintext for "", nil when malformed.</summary>
        private Peer PeerOf(string principal)
        {
            if (principal.Length == 0) return Peer.Plaintext;
            if (_peers.TryGetValue(principal, out var peer)) return peer;
            if (!SpiffeIdentity.TryParse(principal, out var ns, out var sa))
            {
                peer = Peer.Malformed;
            }
            else
            {
                peer = new Peer
                {
                    Name = sa,
                    Namespace = ns,
                    ServiceAccountLabels = ServiceAccountLabelsOf(ns, sa) ?? EmptyLabels.Instance,
                    NamespaceLabels = NamespaceLabelsOf(ns) ?? EmptyLabels.Instance,
                };
            }
            if (_peers.Count < CacheLimit) _peers.TryAdd(principal, peer);
            return peer;
        }

        /// <summary>The identity of an endpoint's workload (its SPIFFE principal), resolved once per endpoint.</summary>
        private Peer WorkloadPeer(EndpointContext endpoint) => endpoint.WorkloadPeer ??= PeerOf(endpoint.Workload.Principal);

        private CompiledProfile? ProfileOf(string name)
        {
            if (_set.Profiles.TryGetValue(name, out var p)) return p;
            if (_defaultProfiles.TryGetValue(name, out p)) return p;
            // Calico creates kns.<ns> (ingress and egress Allow) and ksa.<ns>.<sa> (no rules) for every namespace / SA.
            if (name.StartsWith("kns.", StringComparison.Ordinal))
            {
                return _defaultProfiles.GetOrAdd(name, n => PolicyCompiler.AllowAllProfile(n, _behavior));
            }
            if (name.StartsWith("ksa.", StringComparison.Ordinal)) return new CompiledProfile { Name = name };
            return null;
        }

        private CompiledProfile[] ResolveProfiles(IReadOnlyList<string> names)
        {
            var profiles = new List<CompiledProfile>(names.Count);
            foreach (var name in names)
            {
                var p = ProfileOf(name);
                if (p != null) profiles.Add(p);
            }
            return profiles.ToArray();
        }

        /// <summary>The loaded Pod that owns <paramref name="ip"/> (the first one read with that address) as a workload, or
        /// null; the index is built on first use.</summary>
        public WorkloadInfo? PodByIp(IPAddress? ip)
        {
            if (ip == null) return null;
            var pods = Volatile.Read(ref _podsByIp);
            if (pods == null)
            {
                pods = new Dictionary<IPAddress, WorkloadInfo>();
                foreach (var pod in _set.Source.Pods)
                {
                    WorkloadInfo? workload = null;
                    foreach (var podIp in pod.IPs)
                    {
                        if (IPAddress.TryParse(podIp, out var a))
                            pods.TryAdd(a, workload ??= new WorkloadInfo(pod.Namespace, pod.ServiceAccount, pod.Labels) { NamedPorts = pod.NamedPorts });
                    }
                }
                pods = Interlocked.CompareExchange(ref _podsByIp, pods, null) ?? pods;
            }
            return pods.TryGetValue(ip, out var w) ? w : null;
        }

        /// <summary>Resolves identities, endpoints, profiles and path forms once; the result can be evaluated many times.</summary>
        public PreparedRequest Prepare(AlpRequest r)
        {
            if (r.Protocol < 1 || r.Protocol > 255)
                throw new AlpException("InvalidProtocol", AlpErrorKind.InvalidArgument, $"Protocol {r.Protocol} is outside 1..255.", r.Protocol);
            if (r.Method != null && (r.Method.Length == 0 || r.Method.IndexOf(' ') >= 0))
                throw new AlpException("InvalidMethod", AlpErrorKind.InvalidArgument, $"'{r.Method}' is not an HTTP method.", r.Method);
            var q = new PreparedRequest { Request = r };
            q.Direction = r.Direction;
            q.Source.HasIp = r.SourceIP != null;
            if (r.SourceIP != null) q.Source.Ip = IpValue.From(r.SourceIP);
            q.Source.Port = r.SourcePort;
            q.Source.Endpoint = r.SourceWorkload != null ? GetEndpoint(r.SourceWorkload) : null;
            q.Destination.HasIp = r.DestinationIP != null;
            if (r.DestinationIP != null) q.Destination.Ip = IpValue.From(r.DestinationIP);
            q.Destination.Port = r.DestinationPort;
            q.Destination.Endpoint = r.DestinationWorkload != null ? GetEndpoint(r.DestinationWorkload) : null;

            q.Source.Peer = r.Direction == TrafficDirection.Egress && r.SourcePrincipal.Length == 0 && q.Source.Endpoint != null
                ? WorkloadPeer(q.Source.Endpoint)
                : PeerOf(r.SourcePrincipal);
            q.SourcePrincipalMalformed = q.Source.Peer.Nil;
            q.Destination.Peer = r.DestinationPrincipal != null ? PeerOf(r.DestinationPrincipal)
                : q.Destination.Endpoint != null ? WorkloadPeer(q.Destination.Endpoint) : Peer.Plaintext;

            q.Local = r.Direction == TrafficDirection.Ingress ? q.Destination.Endpoint : q.Source.Endpoint;
            var localWorkload = r.Direction == TrafficDirection.Ingress ? r.DestinationWorkload : r.SourceWorkload;
            if (r.Profiles != null)
            {
                q.Profiles = ResolveProfiles(r.Profiles);
            }
            else if (q.Local != null)
            {
                // What Calico gives a Kubernetes pod, resolved once per endpoint (namespace and service account are part of it).
                q.Profiles = q.Local.DefaultProfiles ??= ResolveProfiles(
                    [$"kns.{localWorkload!.Namespace}", $"ksa.{localWorkload.Namespace}.{localWorkload.ServiceAccount}"]);
            }

            q.Protocol = r.Protocol;
            q.Method = r.Method;
            q.HasHttp = r.Method != null || r.Path != null;
            if (r.Path != null)
            {
                q.HasPath = true;
                q.PathRooted = r.Path.StartsWith('/');
                q.PathForMatch = _behavior.NormalizedPaths ? HttpPath.Normalize(r.Path) : HttpPath.StripQueryRaw(r.Path);
            }
            return q;
        }
    }
}
