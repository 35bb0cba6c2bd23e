using System;
using System.IO;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>Where the repository and ../shared are, found from the test binaries (CALICOALP_SHARED overrides).</summary>
    public static class RepoPaths
    {
        private static readonly Lazy<string> RootLazy = new(() =>
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "CalicoAlp.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("CalicoAlp.sln not found above " + AppContext.BaseDirectory);
        });

        public static string Root => RootLazy.Value;

        public static string Shared
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("CALICOALP_SHARED");
                return !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            }
        }

        public static string ClusterScript => Path.Combine(Root, "tests", "cluster", "cluster.sh");
    }
}
