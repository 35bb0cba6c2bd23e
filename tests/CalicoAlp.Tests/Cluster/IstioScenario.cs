using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using CalicoAlp.Tests.Alp;
using CalicoAlp.Tests.Infrastructure;
using CalicoAlp.Tests.Injector;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Makes the shared test cluster (the fixture's Calico 3.12 + Istio 1.4.2) look like another Istio/Calico
    /// generation for one test, with kubectl, and undoes every change in reverse order on Dispose. The fixture
    /// folder is only read (to restore what a test replaced), never changed.
    /// </summary>
    public sealed class IstioScenario : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly Stack<Action> _undo = new();

        public IstioScenario(ClusterFixture cluster) => _cluster = cluster;

        private static string Fixture(string file) => Path.Combine(RepoPaths.Root, "tests", "cluster", "fixture", file);
        private static string Modern => Path.Combine(RepoPaths.Shared, "upstream", "calico-alp-modern");

        public void Dispose()
        {
            var errors = new List<Exception>();
            while (_undo.Count > 0)
            {
                try { _undo.Pop()(); }
                catch (Exception ex) { errors.Add(ex); }
            }
            if (errors.Count > 0) throw new AggregateException("restoring the cluster failed", errors);
        }

        private void Ok(string? stdin, params string[] args)
        {
            var all = new List<string> { "--kubeconfig", _cluster.Kubeconfig, "--context", "admin" };
            all.AddRange(args);
            var r = ProcessRunner.Run("kubectl", all.ToArray(), stdin, TimeSpan.FromMinutes(2));
            if (r.ExitCode != 0) throw new InvalidOperationException($"kubectl {string.Join(' ', args)} failed: {r.Combined}");
        }

        /// <summary>Replaces istio-pilot (Istio 1.4.2) by istiod[-rev] of a version.</summary>
        public IstioScenario Istiod(string version, string? revision = null, IDictionary<string, string>? env = null)
        {
            if (_cluster.GetJson("-n", "istio-system", "get", "deployment", "istio-pilot") != null)
            {
                Ok(null, "-n", "istio-system", "delete", "deployment", "istio-pilot", "--wait=true");
                _undo.Push(() => Ok(null, "apply", "-f", Fixture("istio-control-plane.yaml")));
            }
            var name = revision == null ? "istiod" : "istiod-" + revision;
            var rev = revision ?? "default";
            var envYaml = env == null ? "" : "\n          env:" + string.Concat(env.Select(e => $"\n          - {{name: {e.Key}, value: \"{e.Value}\"}}"));
            _cluster.KubectlApply($@"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: istio-system
  labels: {{app: istiod, istio: pilot, istio.io/rev: {rev}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: istiod, istio.io/rev: {rev}}}}}
  template:
    metadata:
      labels: {{app: istiod, istio: pilot, istio.io/rev: {rev}}}
    spec:
      containers:
        - name: discovery
          image: docker.io/istio/pilot:{version}{envYaml}
");
            _undo.Push(() => _cluster.Kubectl("-n", "istio-system", "delete", "deployment", name, "--ignore-not-found"));
            return this;
        }

        /// <summary>The calico-node image tag (the fixture's is v3.12.3).</summary>
        public IstioScenario Calico(string version)
        {
            Ok(null, "-n", "kube-system", "set", "image", "daemonset/calico-node", $"calico-node=calico/node:v{version}");
            _undo.Push(() => Ok(null, "-n", "kube-system", "set", "image", "daemonset/calico-node", "calico-node=calico/node:v3.12.3"));
            return this;
        }

        /// <summary>
        /// CRDs of an Istio bundle (alp-subset: DestinationRule, EnvoyFilter, ServiceEntry, PeerAuthentication) in place of
        /// the fixture's 1.4.2 ones, optionally only some kinds. Restored from the fixture's 1.4.2 file afterwards.
        /// Istio 1.28.1's CRDs carry CEL rules (x-kubernetes-validations) that kube-apiserver 1.20 cannot serve (CEL needs
        /// 1.23+): they are stripped here for the test, so the 1.20 server checks the rest of the schema (types, pruning).
        /// </summary>
        public IstioScenario Crds(string istio, params string[] plurals)
        {
            var docs = YamlJson.Documents(SharedFiles.Read(Path.Combine(Modern, "istio-crds", istio, "alp-subset.crds.yaml"))).OfType<JsonObject>().ToList();
            var fixture = YamlJson.Documents(SharedFiles.Read(Fixture("istio-1.4.2-crd-10.yaml"))).OfType<JsonObject>()
                .Where(d => d["kind"]?.GetValue<string>() == "CustomResourceDefinition")
                .ToDictionary(d => d["metadata"]!["name"]!.GetValue<string>());
            foreach (var crd in docs)
            {
                var name = crd["metadata"]!["name"]!.GetValue<string>();
                if (plurals.Length > 0 && !plurals.Contains(name.Split('.')[0])) continue;
                StripCel(crd);
                crd["metadata"]!.AsObject().Remove("annotations");
                var exists = _cluster.GetJson("get", "crd", name);
                if (exists != null)
                {
                    crd["metadata"]!["resourceVersion"] = exists["metadata"]!["resourceVersion"]!.GetValue<string>();
                    Ok(crd.ToJsonString(), "replace", "-f", "-");
                    var original = fixture[name];
                    _undo.Push(() =>
                    {
                        var now = _cluster.GetJson("get", "crd", name)!;
                        var back = (JsonObject)original.DeepClone();
                        back["metadata"]!["resourceVersion"] = now["metadata"]!["resourceVersion"]!.GetValue<string>();
                        back["metadata"]!.AsObject().Remove("annotations");
                        Ok(back.ToJsonString(), "replace", "-f", "-");
                        Ok(null, "wait", "--for=condition=established", "crd/" + name, "--timeout=60s");
                    });
                }
                else
                {
                    Ok(crd.ToJsonString(), "create", "-f", "-");
                    _undo.Push(() => Ok(null, "delete", "crd", name, "--wait=true"));
                }
                Ok(null, "wait", "--for=condition=established", "crd/" + name, "--timeout=60s");
            }
            return this;
        }

        private static void StripCel(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    o.Remove("x-kubernetes-validations");
                    foreach (var (_, v) in o.ToList()) StripCel(v);
                    break;
                case JsonArray a:
                    foreach (var v in a) StripCel(v);
                    break;
            }
        }

        /// <summary>Any object, deleted afterwards (namespaced: give ns).</summary>
        public IstioScenario Object(string resource, string? ns, string name, string yaml)
        {
            _cluster.KubectlApply(yaml);
            _undo.Push(() => _cluster.Kubectl(ns == null ? new[] { "delete", resource, name, "--ignore-not-found" } : new[] { "-n", ns, "delete", resource, name, "--ignore-not-found" }));
            return this;
        }

        public IstioScenario PeerAuthentication(string ns, string name, string mode, string api = "security.istio.io/v1beta1", string? selector = null) =>
            Object("peerauthentications.security.istio.io", ns, name, $@"
apiVersion: {api}
kind: PeerAuthentication
metadata: {{name: {name}, namespace: {ns}}}
spec:
  {(selector == null ? "" : $"selector: {{matchLabels: {{app: {selector}}}}}\n  ")}mtls: {{mode: {mode}}}
");

        public IstioScenario Namespace(string name, string? labels = null) =>
            Object("namespace", null, name, $"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}{(labels == null ? "" : $", labels: {{{labels}}}")}}}\n");

        /// <summary>Registers an undo step for something the test itself did.</summary>
        public void Then(Action undo) => _undo.Push(undo);
    }
}
