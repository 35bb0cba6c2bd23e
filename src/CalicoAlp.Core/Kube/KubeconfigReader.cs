using System;
using System.Collections.Generic;
using System.Linq;
using k8s.KubeConfigModels;
using YamlDotNet.RepresentationModel;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// Builds KubernetesClient's kubeconfig model from a parsed YAML document (already checked by
    /// <see cref="Yaml.NestingLimitParser"/>) field by field, with the names and types KubernetesClient's own YAML
    /// deserialiser uses: keys it does not know are ignored, a value of the wrong shape is an error naming the field and
    /// line. Its reflection-driven deserialiser cost half a second of the first call of every PowerShell session
    /// (docs/performance.md); KubeconfigReaderTests compares the two on every kind of field.
    /// </summary>
    internal static class KubeconfigReader
    {
        /// <summary>A field whose value has the wrong shape or type; Path is the field ("users[0].user.exec.args").</summary>
        internal sealed class ShapeException : Exception
        {
            public ShapeException(string path, YamlNode node, string expected)
                : base($"{path} must be {expected}") { Path = path; Line = (int)node.Start.Line; }
            public string Path { get; }
            public int Line { get; }
        }

        public static K8SConfiguration Read(YamlNode root)
        {
            var map = Mapping(root, "(the document)");
            var config = new K8SConfiguration();
            foreach (var (key, value) in Entries(map))
            {
                switch (key)
                {
                    case "apiVersion": config.ApiVersion = Str(value, key); break;
                    case "kind": config.Kind = Str(value, key); break;
                    case "current-context": config.CurrentContext = Str(value, key); break;
                    case "preferences": config.Preferences = IsNull(value) ? null : Entries(Mapping(value, key)).ToDictionary(e => e.Key, e => Any(e.Value)!); break;
                    case "clusters": config.Clusters = ListOf(value, key, Cluster); break;
                    case "users": config.Users = ListOf(value, key, User); break;
                    case "contexts": config.Contexts = ListOf(value, key, Context); break;
                    case "extensions": config.Extensions = ListOf(value, key, Extension); break;
                }
            }
            return config;
        }

        private static Cluster Cluster(YamlNode node, string path)
        {
            var cluster = new Cluster();
            foreach (var (key, value) in Entries(Mapping(node, path)))
            {
                var at = $"{path}.{key}";
                switch (key)
                {
                    case "name": cluster.Name = Str(value, at); break;
                    case "cluster":
                        if (IsNull(value)) { cluster.ClusterEndpoint = null; break; }
                        var endpoint = new ClusterEndpoint();
                        foreach (var (k, v) in Entries(Mapping(value, at)))
                        {
                            var p = $"{at}.{k}";
                            switch (k)
                            {
                                case "certificate-authority": endpoint.CertificateAuthority = Str(v, p); break;
                                case "certificate-authority-data": endpoint.CertificateAuthorityData = Str(v, p); break;
                                case "server": endpoint.Server = Str(v, p); break;
                                case "tls-server-name": endpoint.TlsServerName = Str(v, p); break;
                                case "insecure-skip-tls-verify": endpoint.SkipTlsVerify = Bool(v, p); break;
                                case "extensions": endpoint.Extensions = ListOf(v, p, Extension); break;
                            }
                        }
                        cluster.ClusterEndpoint = endpoint;
                        break;
                }
            }
            return cluster;
        }

        private static Context Context(YamlNode node, string path)
        {
            var context = new Context();
            foreach (var (key, value) in Entries(Mapping(node, path)))
            {
                var at = $"{path}.{key}";
                switch (key)
                {
                    case "name": context.Name = Str(value, at); break;
                    case "extensions": context.Extensions = ListOf(value, at, Extension); break;
                    case "context":
                        if (IsNull(value)) { context.ContextDetails = null; break; }
                        var details = new ContextDetails();
                        foreach (var (k, v) in Entries(Mapping(value, at)))
                        {
                            var p = $"{at}.{k}";
                            switch (k)
                            {
                                case "cluster": details.Cluster = Str(v, p); break;
                                case "user": details.User = Str(v, p); break;
                                case "namespace": details.Namespace = Str(v, p); break;
                                case "extensions": details.Extensions = ListOf(v, p, Extension); break;
                            }
                        }
                        context.ContextDetails = details;
                        break;
                }
            }
            return context;
        }

        private static User User(YamlNode node, string path)
        {
            var user = new User();
            foreach (var (key, value) in Entries(Mapping(node, path)))
            {
                var at = $"{path}.{key}";
                switch (key)
                {
                    case "name": user.Name = Str(value, at); break;
                    case "user": user.UserCredentials = IsNull(value) ? null : Credentials(value, at); break;
                }
            }
            return user;
        }

        private static UserCredentials Credentials(YamlNode node, string path)
        {
            var c = new UserCredentials();
            foreach (var (key, value) in Entries(Mapping(node, path)))
            {
                var at = $"{path}.{key}";
                switch (key)
                {
                    case "client-certificate-data": c.ClientCertificateData = Str(value, at); break;
                    case "client-certificate": c.ClientCertificate = Str(value, at); break;
                    case "client-key-data": c.ClientKeyData = Str(value, at); break;
                    case "client-key": c.ClientKey = Str(value, at); break;
                    case "token": c.Token = Str(value, at); break;
                    case "as": c.Impersonate = Str(value, at); break;
                    case "as-groups": c.ImpersonateGroups = ListOf(value, at, (n, p) => Str(n, p)!); break;
                    case "as-user-extra": c.ImpersonateUserExtra = StringMap(value, at); break;
                    case "username": c.UserName = Str(value, at); break;
                    case "password": c.Password = Str(value, at); break;
                    case "extensions": c.Extensions = ListOf(value, at, Extension); break;
                    case "auth-provider":
                        if (IsNull(value)) { c.AuthProvider = null; break; }
                        var provider = new AuthProvider();
                        foreach (var (k, v) in Entries(Mapping(value, at)))
                        {
                            if (k == "name") provider.Name = Str(v, $"{at}.name");
                            else if (k == "config") provider.Config = StringMap(v, $"{at}.config");
                        }
                        c.AuthProvider = provider;
                        break;
                    case "exec":
                        if (IsNull(value)) { c.ExternalExecution = null; break; }
                        var exec = new ExternalExecution();
                        foreach (var (k, v) in Entries(Mapping(value, at)))
                        {
                            var p = $"{at}.{k}";
                            switch (k)
                            {
                                case "apiVersion": exec.ApiVersion = Str(v, p); break;
                                case "command": exec.Command = Str(v, p); break;
                                case "installHint": exec.InstallHint = Str(v, p); break;
                                case "provideClusterInfo": exec.ProvideClusterInfo = Bool(v, p); break;
                                case "args": exec.Arguments = IsNull(v) ? null : ListOf(v, p, (n, q) => Str(n, q)!); break;
                                case "env": exec.EnvironmentVariables = IsNull(v) ? null : ListOf(v, p, (n, q) => StringMap(n, q)!); break;
                            }
                        }
                        c.ExternalExecution = exec;
                        break;
                }
            }
            return c;
        }

        private static NamedExtension Extension(YamlNode node, string path)
        {
            var extension = new NamedExtension();
            foreach (var (key, value) in Entries(Mapping(node, path)))
            {
                if (key == "name") extension.Name = Str(value, $"{path}.name");
                else if (key == "extension") extension.Extension = Any(value);
            }
            return extension;
        }

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode s && s.Style == YamlDotNet.Core.ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

        private static YamlMappingNode Mapping(YamlNode node, string path) =>
            node as YamlMappingNode ?? throw new ShapeException(path, node, "a mapping");

        /// <summary>A mapping's entries with scalar keys (other keys are ignored, as the deserialiser's member lookup does).</summary>
        private static IEnumerable<(string Key, YamlNode Value)> Entries(YamlMappingNode map)
        {
            foreach (var entry in map.Children)
            {
                if (entry.Key is YamlScalarNode { Value: { } key }) yield return (key, entry.Value);
            }
        }

        private static string? Str(YamlNode node, string path) => node switch
        {
            _ when IsNull(node) => null,
            YamlScalarNode s => s.Value,
            _ => throw new ShapeException(path, node, "a string"),
        };

        private static bool Bool(YamlNode node, string path)
        {
            var text = node is YamlScalarNode s ? s.Value : null;
            switch (text?.ToLowerInvariant())
            {
                case "true" or "yes" or "y" or "on": return true;
                case "false" or "no" or "n" or "off": return false;
                default: throw new ShapeException(path, node, "true or false");
            }
        }

        private static List<T> ListOf<T>(YamlNode node, string path, Func<YamlNode, string, T> item)
        {
            if (IsNull(node)) return null!;
            if (node is not YamlSequenceNode seq) throw new ShapeException(path, node, "a list");
            var list = new List<T>(seq.Children.Count);
            for (var i = 0; i < seq.Children.Count; i++) list.Add(item(seq.Children[i], $"{path}[{i}]"));
            return list;
        }

        private static Dictionary<string, string> StringMap(YamlNode node, string path)
        {
            if (IsNull(node)) return null!;
            return Entries(Mapping(node, path)).ToDictionary(e => e.Key, e => Str(e.Value, $"{path}.{e.Key}")!, StringComparer.Ordinal);
        }

        /// <summary>A value of no fixed type (preferences, extensions): mappings, lists and strings, as carried along unread.</summary>
        private static object? Any(YamlNode node) => node switch
        {
            _ when IsNull(node) => null,
            YamlScalarNode s => s.Value,
            YamlSequenceNode seq => seq.Children.Select(Any).ToList(),
            YamlMappingNode map => map.Children.Where(e => e.Key is YamlScalarNode).ToDictionary(e => (object)((YamlScalarNode)e.Key).Value!, e => Any(e.Value)),
            _ => null,
        };
    }
}
