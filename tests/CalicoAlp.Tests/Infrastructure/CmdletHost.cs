using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using CalicoAlp.Cmdlets;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>Runs the module's cmdlets in an in-process PowerShell (the cmdlet classes registered directly).</summary>
    public sealed class CmdletHost : IDisposable
    {
        private static readonly Type[] CmdletTypes = typeof(AlpCmdlet).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(Cmdlet).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(CmdletAttribute), false).Length > 0)
            .ToArray();

        private readonly Runspace _runspace;

        public CmdletHost()
        {
            var iss = InitialSessionState.CreateDefault2();
            foreach (var t in CmdletTypes)
            {
                var attr = (CmdletAttribute)t.GetCustomAttributes(typeof(CmdletAttribute), false)[0];
                iss.Commands.Add(new SessionStateCmdletEntry($"{attr.VerbName}-{attr.NounName}", t, null));
            }
            _runspace = RunspaceFactory.CreateRunspace(iss);
            _runspace.Open();
        }

        public PowerShell Create()
        {
            var ps = PowerShell.Create();
            ps.Runspace = _runspace;
            return ps;
        }

        /// <summary>Runs one command with parameters; switches are given as true.</summary>
        public InvocationResult Invoke(string command, IDictionary parameters, IEnumerable<object>? input = null)
        {
            using var ps = Create();
            ps.AddCommand(command);
            foreach (DictionaryEntry p in parameters)
            {
                if (p.Value is true) ps.AddParameter((string)p.Key);
                else ps.AddParameter((string)p.Key, p.Value);
            }
            var result = new InvocationResult();
            try
            {
                var output = input == null ? ps.Invoke() : ps.Invoke(input);
                result.Output.AddRange(output.Select(o => o.BaseObject));
            }
            catch (RuntimeException ex)
            {
                result.Terminating = ex.ErrorRecord;
            }
            result.Errors.AddRange(ps.Streams.Error);
            result.Warnings.AddRange(ps.Streams.Warning.Select(w => w.Message));
            result.Verbose.AddRange(ps.Streams.Verbose.Select(w => w.Message));
            return result;
        }

        public void Dispose() => _runspace.Dispose();
    }

    public sealed class InvocationResult
    {
        public List<object> Output { get; } = new();
        public List<ErrorRecord> Errors { get; } = new();
        public List<string> Warnings { get; } = new();
        public List<string> Verbose { get; } = new();
        public ErrorRecord? Terminating { get; set; }

        public IEnumerable<T> OutputOf<T>() => Output.OfType<T>();

        public void AssertSuccess()
        {
            if (Terminating != null) throw new Xunit.Sdk.XunitException($"terminating error {Terminating.FullyQualifiedErrorId}: {Terminating.Exception.Message}");
            if (Errors.Count > 0) throw new Xunit.Sdk.XunitException($"errors: {string.Join("; ", Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message))}");
        }
    }
}
