using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Text.RegularExpressions;
using CalicoAlp.Tests.Infrastructure;
using Xunit;

namespace CalicoAlp.Tests.Cluster
{
    /// <summary>Clear, terminating errors for a rejected token and for a cluster without Calico's CRDs (a second, bare control plane).</summary>
    [Collection(ClusterCollection.Name)]
    [Trait("Category", "Cluster")]
    public sealed class ConnectionErrorTests : IDisposable
    {
        private readonly ClusterFixture _cluster;
        private readonly CmdletHost _host = new();
        private readonly string _dir = Directory.CreateTempSubdirectory("calicoalp-conn").FullName;

        public ConnectionErrorTests(ClusterFixture cluster) => _cluster = cluster;

        public void Dispose()
        {
            _host.Dispose();
            Directory.Delete(_dir, true);
        }

        [Fact]
        public void A_rejected_token_is_a_401_authentication_error_without_the_token()
        {
            var bad = Path.Combine(_dir, "bad.kubeconfig");
            var token = _cluster.Env["ADMIN_TOKEN"];
            File.WriteAllText(bad, File.ReadAllText(_cluster.Kubeconfig).Replace(token, "not-a-valid-token-0123456789", StringComparison.Ordinal));
            var r = _host.Invoke("Enable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = bad, ["Context"] = "admin", ["Verbose"] = true });
            Assert.NotNull(r.Terminating);
            Assert.Equal("KubeUnauthorized,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.AuthenticationError, r.Terminating.CategoryInfo.Category);
            Assert.DoesNotContain("not-a-valid-token", r.Terminating.Exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(r.Verbose, v => v.Contains("not-a-valid-token", StringComparison.Ordinal));
        }

        [Fact]
        public void A_cluster_without_Calico_CRDs_is_refused_even_with_Force()
        {
            var state = Path.Combine(_dir, "bare");
            ClusterFixture.Script("start", state);
            try
            {
                var r = _host.Invoke("Enable-CalicoAppLayerPolicy", new Hashtable { ["Kubeconfig"] = Path.Combine(state, "kubeconfig"), ["Context"] = "admin", ["Force"] = true });
                Assert.NotNull(r.Terminating);
                Assert.Equal("CalicoNotFound,CalicoAlp.Cmdlets.EnableCalicoAppLayerPolicyCommand", r.Terminating!.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.NotInstalled, r.Terminating.CategoryInfo.Category);
                Assert.Contains("Calico in Kubernetes-datastore mode not found", r.Terminating.Exception.Message, StringComparison.Ordinal);
            }
            finally
            {
                ClusterFixture.Script("stop", state);
            }
        }
    }
}
