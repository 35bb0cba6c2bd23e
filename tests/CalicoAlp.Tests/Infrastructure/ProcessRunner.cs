using System;
using System.Diagnostics;
using System.Text;

namespace CalicoAlp.Tests.Infrastructure
{
    public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
    {
        public string Combined => StdOut + StdErr;
    }

    /// <summary>Runs a command to completion (used for kubectl and the cluster script).</summary>
    public static class ProcessRunner
    {
        public static ProcessResult Run(string file, string[] args, string? stdin = null, TimeSpan? timeout = null)
        {
            var psi = new ProcessStartInfo(file)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = stdin != null,
                UseShellExecute = false,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (stdin != null)
            {
                p.StandardInput.Write(stdin);
                p.StandardInput.Close();
            }
            if (!p.WaitForExit((int)(timeout ?? TimeSpan.FromMinutes(5)).TotalMilliseconds))
            {
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in time");
            }
            p.WaitForExit();
            return new ProcessResult(p.ExitCode, stdout.ToString(), stderr.ToString());
        }
    }
}
