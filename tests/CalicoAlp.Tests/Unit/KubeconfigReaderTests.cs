using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Kube;
using k8s;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Tests.Unit
{
    /// <summary>
    /// KubeconfigReader replaces KubernetesClient's reflection-driven kubeconfig deserialiser: on every kind of field it
    /// must build what that deserialiser builds (the oracle), and refuse what it refuses.
    /// </summary>
    public class KubeconfigReaderTests
    {
        private const string Everything = """
            apiVersion: v1
            kind: Config
            current-context: dev
            unknown-top-level: ignored
            preferences: {colors: true, depth: {a: [1, 2]}}
            extensions:
            - name: cluster_info
              extension: {last-update: "Mon, 01 Dec 2026", provider: minikube.sigs.k8s.io, version: v1.34.0, list: [a, {b: c}]}
            clusters:
            - name: prod
              cluster:
                server: https://10.0.0.1:6443
                certificate-authority-data: LS0tLS1CRUdJTi
                tls-server-name: api.internal
                insecure-skip-tls-verify: false
                extensions: [{name: e, extension: x}]
            - name: lab
              cluster: {server: 'https://lab:6443', certificate-authority: ca.crt, insecure-skip-tls-verify: yes}
            - name: empty
              cluster:
            contexts:
            - name: dev
              context: {cluster: prod, user: admin, namespace: shop, extensions: [{name: n, extension: {k: v}}]}
              unknown: 1
            - name: lab
              context:
                cluster: lab
                user: oidc
            users:
            - name: admin
              user:
                client-certificate-data: Q0VSVA==
                client-key-data: S0VZ
                client-certificate: c.crt
                client-key: c.key
                token: 12345
                username: u
                password: p
                as: jane
                as-groups: [devs, ops]
                as-user-extra: {reason: audit}
                extensions: []
                unknown: [1]
            - name: oidc
              user:
                auth-provider:
                  name: oidc
                  config: {client-id: k, idp-issuer-url: 'https://idp', refresh-token: r}
            - name: exec
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1beta1
                  command: aws
                  args: [eks, get-token, --cluster-name, prod]
                  env: [{name: AWS_PROFILE, value: prod}]
                  installHint: install aws
                  provideClusterInfo: true
            - name: nulls
              user: {token: ~, exec: null, auth-provider:}
            """;

        public static TheoryData<string> Valid() => new()
        {
            Everything,
            "apiVersion: v1\nkind: Config\npreferences: {}\nclusters: []\nusers: []\ncontexts: []\ncurrent-context: \"\"\n",
            "kind: Config\n",
            "kind: Config\ncontexts:\nusers: ~\n",
            """{"apiVersion":"v1","kind":"Config","clusters":[{"name":"c","cluster":{"server":"https://x","insecure-skip-tls-verify":true}}],"contexts":[{"name":"c","context":{"cluster":"c","user":"u"}}],"users":[{"name":"u","user":{"token":"t"}}],"current-context":"c"}""",
            "clusters:\n- &c {name: a, cluster: {server: s}}\n- *c\n",
        };

        public static TheoryData<string> Invalid() => new()
        {
            "users: {a: b}\n",
            "current-context: [a]\n",
            "clusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: maybe}\n",
            "users:\n- name: u\n  user: {exec: {args: a}}\n",
            "users:\n- name: u\n  user: {as-groups: {a: b}}\n",
            "contexts:\n- name: c\n  context: [x]\n",
            "abc\n",
        };

        private static YamlNode Root(string text)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            return stream.Documents.Single().RootNode;
        }

        private static object? Oracle(string text) =>
            KubernetesClientConfiguration.LoadKubeConfig(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        [Theory]
        [MemberData(nameof(Valid))]
        public void Builds_what_KubernetesClients_deserialiser_builds(string text)
        {
            Assert.Equal(Canonical(Oracle(text)), Canonical(KubeconfigReader.Read(Root(text))));
        }

        [Theory]
        [MemberData(nameof(Invalid))]
        public void Refuses_what_KubernetesClients_deserialiser_refuses(string text)
        {
            Assert.ThrowsAny<Exception>(() => Oracle(text));
            var error = Assert.Throws<KubeconfigReader.ShapeException>(() => KubeconfigReader.Read(Root(text)));
            Assert.True(error.Line > 0);
        }

        [Fact]
        public void A_wrong_shape_names_the_field()
        {
            var error = Assert.Throws<KubeconfigReader.ShapeException>(() => KubeconfigReader.Read(Root("users:\n- name: u\n  user:\n    exec: {args: a}\n")));
            Assert.Equal("users[0].user.exec.args", error.Path);
            Assert.Equal(4, error.Line);
        }

        /// <summary>Every public property (but FileName), recursively; scalars as lower-case text (the oracle types "true" as bool).</summary>
        private static string Canonical(object? value)
        {
            switch (value)
            {
                case null: return "null";
                case string s: return "'" + s + "'";
                case IConvertible when value is not string: return "'" + Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant() + "'";
                case IDictionary d:
                    return "{" + string.Join(",", d.Keys.Cast<object>().Select(k => k.ToString()!).OrderBy(k => k, StringComparer.Ordinal)
                        .Select(k => k + ":" + Canonical(d[d.Keys.Cast<object>().First(x => x.ToString() == k)]))) + "}";
                case IEnumerable e: return "[" + string.Join(",", e.Cast<object?>().Select(Canonical)) + "]";
                default:
                    var t = value.GetType();
                    return t.Name + "{" + string.Join(",", t.GetProperties().Where(p => p.Name != "FileName" && p.GetIndexParameters().Length == 0 && p.GetCustomAttributes(typeof(ObsoleteAttribute), true).Length == 0)
                        .OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + Canonical(p.GetValue(value)))) + "}";
            }
        }
    }
}
