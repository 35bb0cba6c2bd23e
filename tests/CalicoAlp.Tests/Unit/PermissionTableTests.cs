using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CalicoAlp.Cmdlets;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Results;
using CalicoAlp.Core.Security;
using CalicoAlp.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>The permission table (CmdletPermissions), its docs sections, its YAML and Get-AlpPermission.</summary>
    public sealed class PermissionTableTests
    {
        private static readonly string[] KnownVerbs = { "get", "list", "watch", "create", "update", "patch", "delete" };

        /// <summary>The module's exported cmdlets that talk to a cluster (derive from KubeCmdlet), as Verb-Noun.</summary>
        private static string[] ClusterCmdlets() => typeof(KubeCmdlet).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(KubeCmdlet).IsAssignableFrom(t))
            .Select(t => t.GetCustomAttributes(typeof(CmdletAttribute), false).Cast<CmdletAttribute>().Single())
            .Select(a => $"{a.VerbName}-{a.NounName}")
            .OrderBy(n => n, StringComparer.Ordinal).ToArray();

        [Fact]
        public void Every_exported_cluster_cmdlet_has_rows_and_every_row_is_a_cmdlet()
        {
            var cluster = ClusterCmdlets();
            Assert.Contains("Enable-CalicoAppLayerPolicy", cluster);
            var missing = cluster.Where(c => CmdletPermissions.For(c).Count == 0).ToList();
            Assert.True(missing.Count == 0, "cluster cmdlets without rows in CmdletPermissions: " + string.Join(", ", missing));
            var unknown = CmdletPermissions.Commands.Where(c => !cluster.Contains(c, StringComparer.Ordinal)).ToList();
            Assert.True(unknown.Count == 0, "rows for commands that are not cluster cmdlets: " + string.Join(", ", unknown));
        }

        [Fact]
        public void Every_rule_is_well_formed()
        {
            foreach (var set in CmdletPermissions.All)
            {
                Assert.False(string.IsNullOrWhiteSpace(set.ModeDescription));
                Assert.Single(CmdletPermissions.For(set.Command), s => s.Mode == set.Mode);
                foreach (var r in set.Rules)
                {
                    var where = $"{set.Command} ({set.Mode}) {r.FullResource}";
                    Assert.NotEmpty(r.Verbs);
                    Assert.All(r.Verbs, v => Assert.Contains(v, KnownVerbs));
                    Assert.Equal(r.Verbs.Count, r.Verbs.Distinct().Count());
                    Assert.Matches("^[a-z]+$", r.Resource);
                    Assert.False(string.IsNullOrWhiteSpace(r.Reason), where);
                    // RBAC cannot narrow create or list by name: such a rule would grant nothing.
                    Assert.True(r.ResourceNames.Count == 0 || !r.Verbs.Any(v => v is "create" or "list"), $"{where}: resourceNames with create/list");
                    if (r.Istio != null) Assert.Matches(@"^\d+\.\d+(\+|-\d+\.\d+)$", r.Istio);
                }
            }
        }

        [Theory]
        [InlineData("1.0-1.4", 1, 4, true)]
        [InlineData("1.0-1.4", 1, 5, false)]
        [InlineData("1.5+", 1, 4, false)]
        [InlineData("1.5+", 1, 28, true)]
        [InlineData(null, 1, 0, true)]
        public void Istio_ranges_select_releases(string? range, int major, int minor, bool expected) =>
            Assert.Equal(expected, new PermissionRule("", "pods", new[] { "get" }, null, "x") { Istio = range }.AppliesToIstio(major, minor));

        [Fact]
        public void Switch_modes_include_the_Default_rules_and_parameter_sets_do_not()
        {
            var restart = CmdletPermissions.Effective("Add-AlpNamespace", "Restart");
            Assert.Contains(restart, r => r.Resource == "namespaces" && r.Verbs.Contains("patch"));
            Assert.Contains(restart, r => r.Resource == "statefulsets" && r.Verbs.Contains("patch"));
            Assert.Empty(CmdletPermissions.Effective("Set-IstioInjectorPatch", "Offline"));
            Assert.Throws<ArgumentException>(() => CmdletPermissions.Effective("Add-AlpNamespace", "Nope"));
        }

        [Fact]
        public void Each_docs_page_has_the_Permissions_section_of_the_table()
        {
            foreach (var command in CmdletPermissions.Commands)
            {
                var path = Path.Combine(RepoPaths.Root, "docs", command + ".md");
                var page = PermissionDocs.Extract(File.ReadAllText(path));
                Assert.True(page != null, $"docs/{command}.md has no '{PermissionDocs.Heading}' section (tools/Update-PermissionDocs.ps1 writes it)");
                Assert.True(PermissionDocs.Section(command) == page,
                    $"docs/{command}.md: the Permissions section differs from CmdletPermissions; run tools/Update-PermissionDocs.ps1.\n--- table:\n{PermissionDocs.Section(command)}\n--- page:\n{page}");
            }
        }

        [Fact]
        public void Extract_takes_the_section_up_to_the_next_heading()
        {
            var md = "## DESCRIPTION\ntext\n\n### Permissions\n\nLine.\n- a\n\n## EXAMPLES\n";
            Assert.Equal("### Permissions\n\nLine.\n- a\n", PermissionDocs.Extract(md));
            Assert.Null(PermissionDocs.Extract("## DESCRIPTION\n"));
        }

        private static YamlStream Parse(string yaml)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream;
        }

        [Fact]
        public void ClusterRole_yaml_merges_verbs_per_resource()
        {
            var rules = new[]
            {
                new PermissionRule("", "pods", new[] { "list" }, new[] { "a" }, "x"),
                new PermissionRule("", "pods", new[] { "get", "list" }, null, "y"),
                new PermissionRule("apps", "daemonsets", new[] { "get" }, new[] { "kube-system" }, "z") { ResourceNames = new[] { "calico-node" } },
            };
            var doc = (YamlMappingNode)Parse(RoleYaml.Write(rules, RoleKind.ClusterRole, "reader")).Documents.Single().RootNode;
            Assert.Equal("ClusterRole", doc["kind"].ToString());
            Assert.Equal("reader", doc["metadata"]["name"].ToString());
            var parsed = ((YamlSequenceNode)doc["rules"]).Cast<YamlMappingNode>().ToList();
            Assert.Equal(2, parsed.Count);
            Assert.Equal(new[] { "get", "list" }, ((YamlSequenceNode)parsed[0]["verbs"]).Select(v => v.ToString()));
            Assert.Equal("", parsed[0]["apiGroups"][0].ToString());
            Assert.Equal("calico-node", parsed[1]["resourceNames"][0].ToString());
        }

        [Fact]
        public void Role_yaml_puts_namespaced_rules_in_Roles_and_the_rest_in_a_ClusterRole()
        {
            var rules = CmdletPermissions.Effective("Add-AlpNamespace", "AllowIstioPilot");
            var yaml = RoleYaml.Write(rules, RoleKind.Role, "onboard", new[] { "shop", "cart" });
            var docs = Parse(yaml).Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
            Assert.Equal("ClusterRole", docs[0]["kind"].ToString());
            var roles = docs.Skip(1).ToList();
            Assert.All(roles, r => Assert.Equal("Role", r["kind"].ToString()));
            Assert.Equal(new[] { "cart", "istio-system", "shop" }, roles.Select(r => r["metadata"]["namespace"].ToString()));
            Assert.Contains(((YamlSequenceNode)roles[2]["rules"]).Cast<YamlMappingNode>(), r => r["resources"][0].ToString() == "networkpolicies" && r["apiGroups"][0].ToString() == "crd.projectcalico.org");
            Assert.DoesNotContain(PermissionRule.TargetNamespaces, yaml, StringComparison.Ordinal);

            var noTargets = Assert.Throws<AlpException>(() => RoleYaml.Write(rules, RoleKind.Role, "onboard"));
            Assert.Equal(RoleYaml.TargetNamespaceMissingErrorId, noTargets.ErrorId);
            Assert.Equal(RoleYaml.InvalidNameErrorId, Assert.Throws<AlpException>(() => RoleYaml.Write(rules, RoleKind.ClusterRole, "Bad Name")).ErrorId);
        }

        [Fact]
        public void Get_AlpPermission_lists_objects_and_writes_yaml()
        {
            using var host = new CmdletHost();
            var list = host.Invoke("Get-AlpPermission", new Hashtable { ["Command"] = new[] { "Disable-*" } });
            list.AssertSuccess();
            var items = list.OutputOf<AlpPermission>().ToList();
            Assert.Equal(CmdletPermissions.For("Disable-CalicoAppLayerPolicy").Sum(s => s.Rules.Count), items.Count);
            Assert.Contains(items, i => i.FullResource == "envoyfilters.networking.istio.io" && i.Verbs.Contains("delete"));

            var yaml = host.Invoke("Get-AlpPermission", new Hashtable { ["Command"] = new[] { "Add-AlpNamespace" }, ["Mode"] = new[] { "Default" }, ["AsYaml"] = true, ["Name"] = "alp-onboard" });
            yaml.AssertSuccess();
            var doc = (YamlMappingNode)Parse((string)Assert.Single(yaml.Output)).Documents.Single().RootNode;
            Assert.Equal("alp-onboard", doc["metadata"]["name"].ToString());
            Assert.DoesNotContain(((YamlSequenceNode)doc["rules"]).Cast<YamlMappingNode>(), r => r["resources"][0].ToString() == "statefulsets");

            var unknown = host.Invoke("Get-AlpPermission", new Hashtable { ["Command"] = new[] { "Get-Nothing" } });
            Assert.Equal("PermissionCommandNotFound", Assert.Single(unknown.Errors).FullyQualifiedErrorId.Split(',')[0]);
            Assert.Empty(unknown.Output);
        }
    }
}
