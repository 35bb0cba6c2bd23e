using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;
using System.Threading;

namespace CalicoAlp.Hosting
{
    /// <summary>
    /// Loads CalicoAlp.Core and its dependencies (KubernetesClient, YamlDotNet, Fractions) from the module's
    /// Dependencies/ folder into their own AssemblyLoadContext, so that another module's YamlDotNet or
    /// KubernetesClient in the default context cannot break ours (and ours cannot break theirs).
    /// Only the request for CalicoAlp.Core itself is redirected; everything it loads follows from its context.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        internal const string CoreAssemblyName = "CalicoAlp.Core";
        private static readonly string DependencyFolder =
            Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".", "Dependencies");
        private static readonly DependencyLoadContext Context = new(DependencyFolder);

        private static int s_registered;

        public void OnImport() => Register();

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (Interlocked.Exchange(ref s_registered, 0) == 1)
            {
                AssemblyLoadContext.Default.Resolving -= ResolveCore;
            }
        }

        /// <summary>
        /// Hooks the resolver (once). PowerShell reads the cmdlets' parameter types before it calls OnImport, so no
        /// parameter may have a CalicoAlp.Core type: a Pester test imports the built module to keep it so.
        /// </summary>
        internal static void Register()
        {
            if (Interlocked.Exchange(ref s_registered, 1) == 0)
            {
                AssemblyLoadContext.Default.Resolving += ResolveCore;
            }
        }

        private static Assembly? ResolveCore(AssemblyLoadContext defaultContext, AssemblyName name)
        {
            return string.Equals(name.Name, CoreAssemblyName, StringComparison.Ordinal) && Directory.Exists(DependencyFolder)
                ? Context.LoadFromAssemblyName(name)
                : null;
        }

        private sealed class DependencyLoadContext : AssemblyLoadContext
        {
            private readonly string _folder;

            public DependencyLoadContext(string folder) : base("CalicoAlp.Dependencies", isCollectible: false) => _folder = folder;

            protected override Assembly? Load(AssemblyName assemblyName)
            {
                var path = Path.Combine(_folder, assemblyName.Name + ".dll");
                // Assemblies we ship load here; the BCL and System.Management.Automation fall back to the default context.
                return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
            }
        }
    }
}
