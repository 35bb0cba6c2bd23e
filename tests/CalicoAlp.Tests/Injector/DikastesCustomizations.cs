using System;
using System.Collections.Generic;
using System.Linq;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// The customisations of a patched config's dikastes container that Set must not lose silently (issue 9 item 4):
    /// each returns the customised config and the lines that a replacement would lose.
    /// </summary>
    internal static class DikastesCustomizations
    {
        public static readonly string[] Names = { "env", "resources", "args", "second-dikastes" };

        public static IEnumerable<object[]> All() => Names.Select(n => new object[] { n });

        /// <summary>The config with the customisation applied to its (single, Calico) dikastes container at indent b.</summary>
        public static (string Config, string[] Lost) Apply(string patchedConfig, string name)
        {
            var lines = patchedConfig.Split('\n').ToList();
            var start = lines.FindIndex(l => l.TrimStart() == "- name: dikastes");
            if (start < 0) throw new InvalidOperationException("no dikastes container");
            var pad = new string(' ', lines[start].Length - lines[start].TrimStart().Length);
            var imageLine = start + 1;
            string[] added;
            switch (name)
            {
                case "env":
                    added = new[] { pad + "  env:", pad + "  - name: DIKASTES_LOG_LEVEL", pad + "    value: debug" };
                    lines.InsertRange(imageLine + 1, added);
                    return (string.Join("\n", lines), added);
                case "resources":
                    added = new[] { pad + "  resources:", pad + "    limits:", pad + "      memory: 64Mi" };
                    lines.InsertRange(imageLine + 1, added);
                    return (string.Join("\n", lines), added);
                case "args":
                    var argsAt = lines.FindIndex(start, l => l.TrimStart().StartsWith("args:", StringComparison.Ordinal));
                    lines[argsAt] = lines[argsAt].Replace("\"/var/run/felix/nodeagent/socket\"]", "\"/var/run/felix/nodeagent/socket\", \"--debug\"]", StringComparison.Ordinal);
                    return (string.Join("\n", lines), new[] { lines[argsAt] });
                case "second-dikastes":
                    added = new[] { pad + "- name: dikastes", pad + "  image: registry.example/team/dikastes:canary", pad + "  args: [\"server\", \"-l\", \"/var/run/dikastes/canary.sock\"]" };
                    var end = start + 1;
                    while (end < lines.Count && lines[end].Trim().Length > 0 && lines[end].Length - lines[end].TrimStart().Length > pad.Length) end++;
                    lines.InsertRange(end, added);
                    return (string.Join("\n", lines), added);
                default:
                    throw new ArgumentOutOfRangeException(nameof(name), name, null);
            }
        }
    }
}
