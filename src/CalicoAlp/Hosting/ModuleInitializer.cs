using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

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

        public void OnImport()
        {
            AssemblyLoadContext.Default.Resolving += ResolveCore;
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            AssemblyLoadContext.Default.Resolving -= ResolveCore;
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
