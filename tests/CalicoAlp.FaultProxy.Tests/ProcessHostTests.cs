using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Xunit;

namespace CalicoAlp.Testing.Faults.Tests;

/// <summary>The proxy as a process (how Pester tests use it): dotnet CalicoAlp.FaultProxy.dll ... --state-dir DIR.</summary>
public sealed class ProcessHostTests
{
    private static ProcessStartInfo StartInfo(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CalicoAlp.FaultProxy.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return info;
    }

    [Fact]
    public async Task Process_WritesStateFile_AcceptsControlRequests_AndShutsDown()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("faultproxy-test-");
        var caPath = Path.Combine(dir.FullName, "upstream-ca.pem");
        await File.WriteAllTextAsync(caPath, upstream.CaPem);
        var stateDir = Path.Combine(dir.FullName, "state");

        using var process = Process.Start(StartInfo("--upstream", upstream.Uri.ToString(), "--upstream-ca", caPath, "--port", "0", "--state-dir", stateDir))!;
        try
        {
            var statePath = Path.Combine(stateDir, "proxy.json");
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(statePath))
            {
                if (process.HasExited)
                {
                    Assert.Fail($"proxy exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
                }
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "no proxy.json after 60s");
                await Task.Delay(100);
            }
            using var state = JsonDocument.Parse(await File.ReadAllTextAsync(statePath));
            var url = new Uri(state.RootElement.GetProperty("url").GetString()!);
            Assert.Equal(process.Id, state.RootElement.GetProperty("pid").GetInt32());
            Assert.Equal(new Uri(url, "/__faultproxy/"), new Uri(state.RootElement.GetProperty("controlUrl").GetString()!));
            var pem = await File.ReadAllTextAsync(state.RootElement.GetProperty("certificatePemPath").GetString()!);
            var stdoutLine = await process.StandardOutput.ReadLineAsync();
            Assert.Contains(url.ToString(), stdoutLine);

            var anchors = Certificates.ParsePem(pem);
            using var client = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = { RemoteCertificateValidationCallback = (_, c, ch, e) => Certificates.ValidateAgainst(anchors, c, ch, e) },
            })
            { BaseAddress = url };

            using (var added = await client.PostAsync("/__faultproxy/faults", new StringContent(
                """{"path":"^/echo","count":1,"action":"status","status":503}""", Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.Created, added.StatusCode);
            }
            using (var faulted = await client.GetAsync("/echo"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, faulted.StatusCode);
            }
            using (var ok = await client.GetAsync("/echo"))
            {
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }
            var requests = await client.GetFromJsonAsync<JsonElement>("/__faultproxy/requests");
            Assert.Equal(2, requests.GetArrayLength());
            Assert.Equal(503, requests[0].GetProperty("statusCode").GetInt32());
            Assert.Equal(200, requests[1].GetProperty("statusCode").GetInt32());

            using (var shutdown = await client.PostAsync("/__faultproxy/shutdown", null))
            {
                Assert.Equal(HttpStatusCode.Accepted, shutdown.StatusCode);
            }
            var exited = process.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.True(exited, "proxy did not exit after /__faultproxy/shutdown");
            Assert.Equal(0, process.ExitCode);
            Assert.False(File.Exists(statePath));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Process_BadArguments_ExitCode2()
    {
        using var process = Process.Start(StartInfo("--port", "0"))!;
        var stderr = await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--upstream", stderr);
    }
}
