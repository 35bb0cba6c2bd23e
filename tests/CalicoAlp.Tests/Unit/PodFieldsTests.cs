using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using CalicoAlp.Core.Json;
using CalicoAlp.Core.Namespaces;
using CalicoAlp.Core.Results;
using Xunit;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>
    /// PodLister keeps only <see cref="PodFields"/> of each pod: every field a reader uses must survive the projection at
    /// its path, and every verdict on a projected pod must equal the verdict on the whole pod.
    /// </summary>
    public class PodFieldsTests
    {
        // A pod as the API server lists it: injected by Istio, owned by a ReplicaSet, with the fields CalicoAlp never reads.
        private const string FullPod = """
            {"metadata":{"name":"web-5c9d7b8f6-x2x9q","generateName":"web-5c9d7b8f6-","namespace":"shop","uid":"0b8c1f6e-1",
              "resourceVersion":"4711","creationTimestamp":"2026-12-01T10:00:00Z",
              "labels":{"app":"web","pod-template-hash":"5c9d7b8f6","security.istio.io/tlsMode":"istio"},
              "annotations":{"sidecar.istio.io/status":"{\"containers\":[\"istio-proxy\",\"dikastes\"]}","sidecar.istio.io/inject":"true",
                "kubectl.kubernetes.io/last-applied-configuration":"{\"huge\":true}"},
              "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5c9d7b8f6","uid":"77","controller":true,"blockOwnerDeletion":true}],
              "managedFields":[{"manager":"kube-controller-manager","operation":"Update","fieldsV1":{"f:metadata":{}}}]},
             "spec":{"serviceAccountName":"web","nodeName":"node-1","restartPolicy":"Always","terminationGracePeriodSeconds":30,
              "volumes":[{"name":"dikastes-sock","emptyDir":{"medium":"Memory"}}],
              "initContainers":[{"name":"istio-init","image":"docker.io/istio/proxyv2:1.15.2","args":["-p","15001"]},
                                {"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.22.0","restartPolicy":"Always","ports":[{"containerPort":15090}]}],
              "containers":[{"name":"app","image":"nginx:1.19","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"1"}}},
                            {"name":"dikastes","image":"calico/dikastes:v3.25.0","args":["server","-l","/var/run/dikastes/dikastes.sock"]}]},
             "status":{"phase":"Running","podIP":"10.0.0.7","hostIP":"192.168.1.2","conditions":[{"type":"Ready","status":"True"}],
              "containerStatuses":[{"name":"app","ready":true,"restartCount":3}]}}
            """;

        private static JsonObject Projected(string json)
        {
            using var doc = JsonDocument.Parse(json);
            return PodFields.Project(doc.RootElement);
        }

        [Fact]
        public void Every_field_a_reader_uses_is_kept_at_its_path()
        {
            var full = JsonNode.Parse(FullPod)!.AsObject();
            var pod = Projected(FullPod);
            foreach (var path in new[]
            {
                new[] { "metadata", "name" }, new[] { "metadata", "namespace" }, new[] { "metadata", "uid" },
                new[] { "metadata", "labels" }, new[] { "metadata", "ownerReferences" },
                new[] { "metadata", "annotations", "sidecar.istio.io/inject" }, new[] { "metadata", "annotations", "sidecar.istio.io/status" },
                new[] { "spec", "serviceAccountName" }, new[] { "spec", "nodeName" },
                new[] { "status", "phase" }, new[] { "status", "podIP" },
            })
            {
                Assert.Equal(JsonFields.GetString(full, path), JsonFields.GetString(pod, path));
            }
            Assert.Equal(new[] { "istio-init", "istio-proxy" }, pod["spec"]!["initContainers"]!.AsArray().Select(c => (string?)c!["name"]));
            Assert.Equal("Always", (string?)pod["spec"]!["initContainers"]![1]!["restartPolicy"]);
            Assert.Equal(new[] { "nginx:1.19", "calico/dikastes:v3.25.0" }, pod["spec"]!["containers"]!.AsArray().Select(c => (string?)c!["image"]));
            Assert.True(pod["metadata"]!["ownerReferences"]![0]!["controller"]!.GetValue<bool>());
        }

        [Fact]
        public void What_no_reader_uses_is_left_out()
        {
            var pod = Projected(FullPod);
            Assert.Null(pod["metadata"]!["managedFields"]);
            Assert.Null(pod["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]);
            Assert.Null(pod["spec"]!["volumes"]);
            Assert.Null(pod["spec"]!["containers"]![0]!["ports"]);
            Assert.Null(pod["status"]!["containerStatuses"]);
        }

        public static IEnumerable<object[]> Pods() => new[]
        {
            FullPod,
            FullPod.Replace("\"Running\"", "\"Succeeded\""),
            FullPod.Replace("\"sidecar.istio.io/inject\":\"true\"", "\"sidecar.istio.io/inject\":\"false\""),
            FullPod.Replace("\"restartPolicy\":\"Always\",\"ports\"", "\"ports\""),           // istio-proxy as a plain init container
            FullPod.Replace("{\"name\":\"dikastes\"", "{\"name\":\"other\""),                 // no dikastes
            FullPod.Replace("\"controller\":true", "\"controller\":false"),                   // no controller: a bare pod
            """{"metadata":{"name":"bare","namespace":"shop"},"spec":{"containers":[{"name":"app"}]}}""",
            """{"metadata":{"name":"odd","namespace":"shop"},"spec":{"containers":"not a list"},"status":[]}""",
        }.Select(p => new object[] { p });

        [Theory]
        [MemberData(nameof(Pods))]
        public void Verdicts_on_a_projected_pod_equal_those_on_the_whole_pod(string json)
        {
            var full = JsonNode.Parse(json)!.AsObject();
            var pod = Projected(json);
            Assert.Equal(WorkloadInventory.MissingSidecar(full), WorkloadInventory.MissingSidecar(pod));
            Assert.Equal(WorkloadInventory.StillInjected(full), WorkloadInventory.StillInjected(pod));
            var replicaSets = new List<JsonObject>
            {
                JsonNode.Parse("""{"metadata":{"name":"web-5c9d7b8f6","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]}}""")!.AsObject(),
            };
            foreach (var gapOf in new System.Func<JsonObject, SidecarGap?>[] { WorkloadInventory.MissingSidecar, WorkloadInventory.StillInjected, _ => SidecarGap.NoSidecar })
            {
                var a = WorkloadInventory.Analyze("shop", new[] { full }, replicaSets, gapOf);
                var b = WorkloadInventory.Analyze("shop", new[] { pod }, replicaSets, gapOf);
                Assert.Equal(a.Select(w => w.ToString()), b.Select(w => w.ToString()));
                Assert.Equal(a.Select(w => (w.Kind, w.Name, string.Join(",", w.Pods))), b.Select(w => (w.Kind, w.Name, string.Join(",", w.Pods))));
            }
            Assert.Equal(JsonFields.StringMap(full["metadata"]?["labels"]), JsonFields.StringMap(pod["metadata"]?["labels"]));
        }
    }
}
