using System;
using System.Collections.Generic;
using System.Management.Automation;
using CalicoAlp.Completers;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Kube;

namespace CalicoAlp.Cmdlets
{
    /// <summary>
    /// Base of the cmdlets that talk to a cluster: -Kubeconfig, -Context (both bindable by property name, so the
    /// results of one cmdlet drive the next) and -SkipTlsVerify. One connection per (kubeconfig, context) is kept for
    /// the whole pipeline.
    /// </summary>
    public abstract class KubeCmdlet : AlpCmdlet
    {
        private readonly Dictionary<string, KubeApi> _connections = new(StringComparer.Ordinal);

        /// <summary>Kubeconfig file(s); default: $env:KUBECONFIG, then ~/.kube/config, then in-cluster.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("KubeConfigPath")]
        public string[]? Kubeconfig { get; set; }

        /// <summary>The kubeconfig context; default: the current context.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ContextCompleter))]
        public string? Context { get; set; }

        /// <summary>Turns off verification of the API server's TLS certificate. Never the default.</summary>
        [Parameter]
        public SwitchParameter SkipTlsVerify { get; set; }

        /// <summary>The -Kubeconfig paths as given (for results naming a cluster that could not be reached).</summary>
        internal string? KubeconfigText => Kubeconfig == null ? null : string.Join(System.IO.Path.PathSeparator, Kubeconfig);

        /// <summary>The connection for the current record's -Kubeconfig/-Context (opened once per pipeline).</summary>
        /// <param name="terminate">False: a connection error is thrown as the core's exception instead of ending the cmdlet.</param>
        protected KubeApi Connect(bool terminate = true)
        {
            var paths = new List<string>();
            if (Kubeconfig != null)
            {
                foreach (var p in Kubeconfig)
                {
                    foreach (var part in p.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                    {
                        paths.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(part));
                    }
                }
            }
            var key = string.Join("\u0001", paths) + "\u0002" + Context + "\u0002" + SkipTlsVerify.IsPresent;
            if (_connections.TryGetValue(key, out var existing)) return existing;
            try
            {
                var options = new KubeConnectionOptions { KubeconfigPaths = paths, Context = string.IsNullOrEmpty(Context) ? null : Context, SkipTlsVerify = SkipTlsVerify.IsPresent };
                var api = KubeConnector.Connect(options, Log);
                _connections[key] = api;
                return api;
            }
            catch (AlpException ex) when (terminate)
            {
                Terminate(ex);
                throw; // unreachable
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                foreach (var c in _connections.Values) c.Dispose();
                _connections.Clear();
            }
            base.Dispose(disposing);
        }
    }
}
