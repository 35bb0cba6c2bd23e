using System;
using System.Text.Json;
using System.Text.RegularExpressions;
using CalicoAlp.Core.Alp;

namespace CalicoAlp.Core.Injector
{
    /// <summary>The Istio version an injector template belongs to, and how it was found.</summary>
    public sealed class IstioTemplateVersion
    {
        private static readonly Regex ImageTag = new(@"istio/(?:proxyv2|proxy_init|proxy_debug|proxy):(?<v>\d+\.\d+\.\d+)\b", RegexOptions.CultureInvariant);

        public IstioTemplateVersion(string? version, string source)
        {
            Version = version;
            Source = source;
        }

        /// <summary>"1.4.2" when the exact version is known, "1.3" when only the minor is, null when unknown.</summary>
        public string? Version { get; }

        /// <summary>Where the version came from ("values global.tag", "template image tags", "template shape", "-IstioVersion").</summary>
        public string Source { get; }

        /// <summary>major.minor of <see cref="Version"/>, if known.</summary>
        public ComponentVersion? Minor => ComponentVersion.TryParse(Version, out var v) ? new ComponentVersion(v.Major, v.Minor, 0) : null;

        public bool IsIstio10 => Minor is { Major: 1, Minor: 0 };

        public override string ToString() => Version == null ? $"unknown ({Source})" : $"{Version} ({Source})";

        public static IstioTemplateVersion Given(string version) =>
            ComponentVersion.TryParse(version, out _)
                ? new IstioTemplateVersion(version.Trim().TrimStart('v'), "-IstioVersion")
                : throw new Diagnostics.AlpException("IstioVersionInvalid", Diagnostics.AlpErrorKind.InvalidArgument,
                    $"'{version}' is not an Istio version (expected e.g. 1.4.2).", version);

        /// <summary>
        /// Detects the version from the ConfigMap's <c>values</c> (Istio 1.2+ stores its Helm values there; global.tag is
        /// the release), from image tags baked into the template (1.0/1.1 Helm renders), or from the template's shape.
        /// </summary>
        public static IstioTemplateVersion Detect(string config, string? valuesJson)
        {
            if (!string.IsNullOrWhiteSpace(valuesJson))
            {
                try
                {
                    using var doc = JsonDocument.Parse(valuesJson);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                        doc.RootElement.TryGetProperty("global", out var global) && global.ValueKind == JsonValueKind.Object &&
                        global.TryGetProperty("tag", out var tag) && tag.ValueKind == JsonValueKind.String &&
                        ComponentVersion.TryParse(tag.GetString(), out var tv))
                    {
                        return new IstioTemplateVersion(tv.ToString(), "values global.tag");
                    }
                }
                catch (JsonException)
                {
                    // not JSON: fall through to the template
                }
            }

            var m = ImageTag.Match(config);
            if (m.Success)
            {
                return new IstioTemplateVersion(m.Groups["v"].Value, "template image tags");
            }

            var brackets = GoTemplateCheck.DelimitersOf(config).Open == "[[";
            if (brackets)
            {
                // 1.1 added rewriteAppHTTPProbe and the userVolume annotations; 1.0 had neither.
                return config.Contains("rewriteAppHTTPProbe", StringComparison.Ordinal)
                    ? new IstioTemplateVersion("1.1", "template shape ([[ ]] delimiters, rewriteAppHTTPProbe)")
                    : new IstioTemplateVersion("1.0", "template shape ([[ ]] delimiters, no rewriteAppHTTPProbe)");
            }
            if (!config.Contains(".Values.", StringComparison.Ordinal))
            {
                return new IstioTemplateVersion(null, "template shape not recognised");
            }
            if (Regex.IsMatch(config, @"(?m)^templates:\s*$"))
            {
                // 1.9 added the templates map, 1.11 the grpc templates, 1.18 waypoint and kube-gateway.
                return Regex.IsMatch(config, @"(?m)^  kube-gateway:") ? new IstioTemplateVersion("1.18", "template shape (templates map with kube-gateway; pass -IstioVersion for 1.22+)")
                    : Regex.IsMatch(config, @"(?m)^  grpc-agent:") ? new IstioTemplateVersion("1.11", "template shape (templates map with grpc-agent)")
                    : new IstioTemplateVersion("1.9", "template shape (templates map)");
            }
            if (config.Contains("ISTIO_META_DNS_CAPTURE", StringComparison.Ordinal))
            {
                return new IstioTemplateVersion("1.7", "template shape (ISTIO_META_DNS_CAPTURE dnsConfig)");
            }
            if (config.Contains("pilotCertProvider", StringComparison.Ordinal))
            {
                return new IstioTemplateVersion("1.6", "template shape (pilotCertProvider)");
            }
            if (config.Contains("injectedAnnotations:", StringComparison.Ordinal) || Regex.IsMatch(config, @"(?m)^template: \|\s*$"))
            {
                return new IstioTemplateVersion("1.4", "template shape (istioctl layout: injectedAnnotations / template: |)");
            }
            if (config.Contains("podRedirectAnnot:", StringComparison.Ordinal))
            {
                return new IstioTemplateVersion("1.3", "template shape ({{ }} delimiters, podRedirectAnnot)");
            }
            return new IstioTemplateVersion("1.2", "template shape ({{ }} delimiters, .Values)");
        }
    }
}
