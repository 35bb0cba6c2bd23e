using System;
using CalicoAlp.Core.Alp;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Policy.Evaluation
{
    /// <summary>Which Dikastes release line is emulated (spec section 0).</summary>
    public enum DikastesEra
    {
        /// <summary>Calico &lt;= v3.29 (projectcalico/app-policy era): single tier, no notNets/notPorts, raw path prefix.</summary>
        Classic,
        /// <summary>v3.30.0 - v3.31.5: multi-tier, raw path prefix, staged policies enforced.</summary>
        V3_30,
        /// <summary>v3.31.6 - v3.32.x tags: HTTP path normalisation; staged policies still enforced up to v3.32.1.</summary>
        V3_31_6,
        /// <summary>Baseline: release-v3.33 / master.</summary>
        Baseline,
    }

    /// <summary>The behaviour switches derived from a Calico version (null/empty/"latest" = baseline).</summary>
    public sealed class CalicoBehavior
    {
        public static readonly CalicoBehavior Baseline = new("baseline", DikastesEra.Baseline, stagedEnforced: false, minor: int.MaxValue);

        private readonly int _minor;

        private CalicoBehavior(string version, DikastesEra era, bool stagedEnforced, int minor)
        {
            Version = version;
            Era = era;
            StagedEnforced = stagedEnforced;
            _minor = minor;
        }

        public string Version { get; }
        public DikastesEra Era { get; }
        public bool IsClassic => Era == DikastesEra.Classic;
        /// <summary>Tagged releases v3.30.0 - v3.32.1 evaluated staged policies as if enforced.</summary>
        public bool StagedEnforced { get; }
        public bool NormalizedPaths => Era >= DikastesEra.V3_31_6;
        /// <summary>v3.31+: icmp, icmpv6, tcp, udp, udplite, sctp and any number; before: icmp/tcp/udp and 1/6/17 only.</summary>
        public bool FullProtocolNames => _minor >= 31;
        public bool HonoursNotNetsAndNotPorts => !IsClassic;
        /// <summary>v3.30+: a request without HTTP attributes matches rules with methods/paths.</summary>
        public bool NilHttpMatches => !IsClassic;
        public bool MalformedPrincipalDenies => IsClassic;
        public bool NoEndpointIsInternal => !IsClassic;

        public static CalicoBehavior Parse(string? version)
        {
            if (string.IsNullOrWhiteSpace(version) || version.Equals("latest", StringComparison.OrdinalIgnoreCase) ||
                version.Equals("baseline", StringComparison.OrdinalIgnoreCase) || version.Equals("master", StringComparison.OrdinalIgnoreCase))
            {
                return Baseline;
            }
            var text = version.Trim();
            if (!ComponentVersion.TryParse(text, out var v) || v.Major != 3)
            {
                throw new AlpException("InvalidCalicoVersion", AlpErrorKind.InvalidArgument,
                    $"'{version}' is not a Calico version (expected e.g. 3.29, v3.31.6 or 'latest').", version);
            }
            DikastesEra era;
            if (v.Minor <= 29) era = DikastesEra.Classic;
            else if (v.Minor == 30 || (v.Minor == 31 && v.Patch <= 5)) era = DikastesEra.V3_30;
            else if (v.Minor == 31 || v.Minor == 32) era = DikastesEra.V3_31_6;
            else era = DikastesEra.Baseline;
            bool staged = (v.Minor == 30 || v.Minor == 31 || (v.Minor == 32 && v.Patch <= 1));
            return new CalicoBehavior(text, era, staged, v.Minor);
        }

        private string? _text;

        public override string ToString() => _text ??= Era == DikastesEra.Baseline ? $"{Version} (baseline)" : $"{Version} ({Era})";
    }
}
