using System.Collections.Generic;
using System.Linq;
using CalicoAlp.Tests.Infrastructure;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>
    /// Builds workloads in the test cluster the way controllers would leave them (the test control plane runs no
    /// deployment/replicaset controllers and no kubelet): owners first, then pods with controller owner references
    /// carrying the owners' real UIDs, so the garbage collector keeps them. Pods stay Pending.
    /// </summary>
    public sealed class WorkloadFactory
    {
        private readonly IKubectlTarget _cluster;

        public WorkloadFactory(IKubectlTarget cluster) => _cluster = cluster;

        public void Namespace(string name, IDictionary<string, string>? labels = null)
        {
            var l = labels == null ? "{}" : "{" + string.Join(", ", labels.Select(kv => $"'{kv.Key}': '{kv.Value}'")) + "}";
            _cluster.KubectlApply($"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}, labels: {l}}}\n");
        }

        public void DeleteNamespace(string name) => _cluster.Kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false");

        private string Uid(string ns, string kind, string name) =>
            _cluster.KubectlOk("-n", ns, "get", kind, name, "-o", "jsonpath={.metadata.uid}").Trim();

        private static string Template(string app) =>
            $"  selector: {{matchLabels: {{app: {app}}}}}\n  template:\n    metadata: {{labels: {{app: {app}}}}}\n    spec:\n      containers: [{{name: app, image: 'nginx:1.19'}}]\n";

        public void Deployment(string ns, string name, int pods, params string[] containers)
        {
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  replicas: {pods}\n{Template(name)}");
            var hash = "7d9f8b6c5";
            var rs = $"{name}-{hash}";
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {rs}\n  namespace: {ns}\n  labels: {{app: {name}, pod-template-hash: '{hash}'}}\n" +
                $"  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: '{Uid(ns, "deployment", name)}', controller: true}}]\n" +
                $"spec:\n  replicas: {pods}\n  selector: {{matchLabels: {{app: {name}, pod-template-hash: '{hash}'}}}}\n  template:\n    metadata: {{labels: {{app: {name}, pod-template-hash: '{hash}'}}}}\n    spec:\n      containers: [{{name: app, image: 'nginx:1.19'}}]\n");
            var rsUid = Uid(ns, "replicaset", rs);
            for (var i = 0; i < pods; i++)
            {
                Pod(ns, $"{rs}-p{i}", containers, $"{{apiVersion: apps/v1, kind: ReplicaSet, name: {rs}, uid: '{rsUid}', controller: true}}", $"app: {name}, pod-template-hash: '{hash}'");
            }
        }

        public void StatefulSet(string ns, string name, int pods, params string[] containers)
        {
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  serviceName: {name}\n  replicas: {pods}\n{Template(name)}");
            var uid = Uid(ns, "statefulset", name);
            for (var i = 0; i < pods; i++) Pod(ns, $"{name}-{i}", containers, $"{{apiVersion: apps/v1, kind: StatefulSet, name: {name}, uid: '{uid}', controller: true}}", $"app: {name}");
        }

        public void DaemonSet(string ns, string name, int pods, params string[] containers)
        {
            _cluster.KubectlApply($"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{Template(name)}");
            var uid = Uid(ns, "daemonset", name);
            for (var i = 0; i < pods; i++) Pod(ns, $"{name}-n{i}", containers, $"{{apiVersion: apps/v1, kind: DaemonSet, name: {name}, uid: '{uid}', controller: true}}", $"app: {name}");
        }

        public void Job(string ns, string name, params string[] containers)
        {
            _cluster.KubectlApply($"apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  template:\n    metadata: {{labels: {{job: {name}}}}}\n    spec:\n      restartPolicy: Never\n      containers: [{{name: app, image: 'busybox:1.32'}}]\n");
            Pod(ns, $"{name}-run1", containers, $"{{apiVersion: batch/v1, kind: Job, name: {name}, uid: '{Uid(ns, "job", name)}', controller: true}}", $"job: {name}");
        }

        /// <summary>A pod; containers beyond 'app' name the sidecars it has (istio-proxy, dikastes).</summary>
        public void Pod(string ns, string name, string[] sidecars, string? owner = null, string labels = "", string? annotations = null)
        {
            var containers = new List<string> { "{name: app, image: 'nginx:1.19'}" };
            containers.AddRange(sidecars.Select(s => $"{{name: {s}, image: 'docker.io/istio/proxyv2:1.4.2'}}"));
            var ownerLine = owner == null ? "" : $"  ownerReferences: [{owner}]\n";
            var annotationLine = annotations == null ? "" : $"  annotations: {{{annotations}}}\n";
            _cluster.KubectlApply($"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\n{ownerLine}{annotationLine}spec:\n  automountServiceAccountToken: false\n  containers: [{string.Join(", ", containers)}]\n");
        }

        public string TemplateJson(string ns, string kind, string name) =>
            _cluster.KubectlOk("-n", ns, "get", kind, name, "-o", "jsonpath={.spec.template}");
    }
}
