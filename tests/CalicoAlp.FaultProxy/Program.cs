using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Tasks;

namespace CalicoAlp.Testing.Faults;

/// <summary>
/// dotnet CalicoAlp.FaultProxy.dll --upstream https://127.0.0.1:6443 --upstream-ca ca.pem [--port 0] [--state-dir DIR] [--no-http2]
/// Writes DIR/proxy.crt and DIR/proxy.json ({url, port, pid, upstream, certificatePemPath, controlUrl}) once listening,
/// and the same JSON as one line on stdout. Stops on SIGINT/SIGTERM or POST /__faultproxy/shutdown (then deletes proxy.json).
/// </summary>
public static class Program
{
    private const string Usage = "usage: CalicoAlp.FaultProxy --upstream https://127.0.0.1:6443 --upstream-ca ca.pem [--port 0] [--state-dir DIR] [--no-http2]";

    public static async Task<int> Main(string[] args)
    {
        string? upstream = null, caPath = null, stateDir = null;
        var port = 0;
        var http2 = true;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--upstream": upstream = Next(); break;
                    case "--upstream-ca": caPath = Next(); break;
                    case "--port": port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
                    case "--state-dir": stateDir = Next(); break;
                    case "--no-http2": http2 = false; break;
                    case "-h" or "--help": Console.WriteLine(Usage); return 0;
                    default: throw new ArgumentException($"unknown argument {args[i]}");
                }
            }
            if (upstream is null || caPath is null)
            {
                throw new ArgumentException("--upstream and --upstream-ca are required");
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        FaultProxy proxy;
        try
        {
            proxy = await FaultProxy.StartAsync(new Uri(upstream), await File.ReadAllTextAsync(caPath).ConfigureAwait(false),
                new FaultProxyOptions { Port = port, EnableHttp2 = http2 }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"faultproxy: failed to start: {ex.Message}");
            return 1;
        }

        await using (proxy.ConfigureAwait(false))
        {
            string? statePath = null;
            var state = new Dictionary<string, object?>
            {
                ["url"] = proxy.Uri.ToString(),
                ["port"] = proxy.Uri.Port,
                ["pid"] = Environment.ProcessId,
                ["upstream"] = proxy.UpstreamUri.ToString(),
                ["certificatePemPath"] = null,
                ["controlUrl"] = new Uri(proxy.Uri, FaultProxy.ControlPrefix + "/").ToString(),
            };
            if (stateDir is not null)
            {
                Directory.CreateDirectory(stateDir);
                var pemPath = Path.GetFullPath(Path.Combine(stateDir, "proxy.crt"));
                await File.WriteAllTextAsync(pemPath, proxy.CertificatePem).ConfigureAwait(false);
                state["certificatePemPath"] = pemPath;
                statePath = Path.Combine(stateDir, "proxy.json");
                var temp = statePath + ".tmp";
                await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(state, ControlEndpoint.Json)).ConfigureAwait(false);
                File.Move(temp, statePath, overwrite: true); // atomic: readers never see a partial file
            }
            Console.WriteLine(JsonSerializer.Serialize(state));
            Console.Out.Flush();

            await Task.WhenAny(stop.Task, proxy.ShutdownRequested).ConfigureAwait(false);
            if (statePath is not null)
            {
                File.Delete(statePath);
            }
        }
        return 0;
    }
}
