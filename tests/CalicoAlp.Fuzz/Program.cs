using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CalicoAlp.Core.Injector;
using CalicoAlp.Tests.Properties;

namespace CalicoAlp.Fuzz
{
    /// <summary>
    /// The fuzz harness (build.ps1 Fuzz):
    ///   CalicoAlp.Fuzz &lt;target&gt;                         under afl-fuzz: SharpFuzz's out-of-process loop runs the target per input
    ///   CalicoAlp.Fuzz &lt;target&gt; --replay &lt;file|dir&gt;...   runs inputs once each; exit 1 when one escapes (a finding)
    ///   CalicoAlp.Fuzz &lt;target&gt; --seeds &lt;outdir&gt; &lt;shared&gt;  writes the seed corpus (tests/CalicoAlp.Fuzz/seeds, and for
    ///                                                 the injector the stock configs of every layout from the shared folder)
    /// Targets: see <see cref="ParserTargets.Names"/>. A crash is any exception but our own clear errors.
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length == 0 || !ParserTargets.Names.Contains(args[0]))
            {
                Console.Error.WriteLine($"usage: CalicoAlp.Fuzz <{string.Join("|", ParserTargets.Names)}> [--replay <file|dir>... | --seeds <outdir> <shared>]");
                return 2;
            }
            var target = args[0];
            if (args.Length >= 2 && args[1] == "--replay") return Replay(target, args.Skip(2));
            if (args.Length == 4 && args[1] == "--seeds") return Seeds(target, args[2], args[3]);
            SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
            {
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                ParserTargets.Run(target, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            });
            return 0;
        }

        private static int Replay(string target, IEnumerable<string> paths)
        {
            int ran = 0, escaped = 0;
            foreach (var file in paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).OrderBy(f => f, StringComparer.Ordinal).ToArray() : new[] { p }))
            {
                if (Path.GetFileName(file) == "README.txt") continue;
                ran++;
                try
                {
                    ParserTargets.Run(target, File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    escaped++;
                    Console.WriteLine($"{file}: {e.GetType().FullName}: {e.Message.Split('\n')[0]}");
                    Console.WriteLine("  at " + (e.StackTrace ?? "").Split('\n').FirstOrDefault(l => l.Contains("CalicoAlp.Core", StringComparison.Ordinal))?.Trim());
                }
            }
            Console.WriteLine($"replay {target}: {ran} inputs, {escaped} escaped");
            return escaped == 0 ? 0 : 1;
        }

        private static readonly string?[] IstioSeeds = { "1.4.2", "1.6.8", "1.7.4", "1.9.6", "1.15.2", "1.28.1" };

        private static int Seeds(string target, string outDir, string shared)
        {
            Directory.CreateDirectory(outDir);
            var here = Path.Combine(AppContext.BaseDirectory, "seeds", target);
            if (Directory.Exists(here))
            {
                foreach (var f in Directory.GetFiles(here)) File.Copy(f, Path.Combine(outDir, Path.GetFileName(f)), true);
            }
            if (target == ParserTargets.InjectorTarget)
            {
                var modern = Path.Combine(shared, "upstream", "calico-alp-modern", "istio-stock");
                foreach (var istio in IstioSeeds)
                {
                    string config;
                    if (istio == "1.4.2")
                    {
                        config = File.ReadAllText(Path.Combine(shared, "upstream", "calico-alp", "istio-stock", "istio-1.4.2", "helm", "injection-template.yaml"));
                    }
                    else
                    {
                        var configMap = Path.Combine(modern, istio!, "rendered", "istio-sidecar-injector.configmap.yaml");
                        config = File.Exists(configMap)
                            ? InjectorConfigDocument.Load(File.ReadAllText(configMap), configMap).Config
                            : File.ReadAllText(Path.Combine(modern, istio!, "rendered", "data.config.txt"));
                    }
                    // The first byte picks the Istio release and Calico options (ParserTargets.InjectorChoice).
                    int choice = Enumerable.Range(0, 256).First(c => ParserTargets.InjectorChoice(c).Istio?.Version == istio);
                    var bytes = new byte[] { (byte)choice }.Concat(Encoding.UTF8.GetBytes(config)).ToArray();
                    File.WriteAllBytes(Path.Combine(outDir, $"stock-{istio}.txt"), bytes);
                }
            }
            int n = Directory.GetFiles(outDir).Length;
            Console.WriteLine($"seeds {target}: {n} files in {outDir}");
            return n > 0 ? 0 : 1;
        }
    }
}
