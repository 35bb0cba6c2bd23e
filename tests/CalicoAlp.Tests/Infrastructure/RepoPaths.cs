using System;
using System.IO;

namespace CalicoAlp.Tests.Infrastructure
{
    /// <summary>
    /// Where the repository and the shared folder are, found from the test binaries. The shared folder (read-only
    /// upstream files and test vectors) is $CALICOALP_SHARED, else ../shared beside the repository; this is the only
    /// place the xunit tests look for it (tests/SharedFolder.ps1 is its twin for build.ps1 and Pester).
    /// </summary>
    public static class RepoPaths
    {
        public const string SharedVariable = "CALICOALP_SHARED";

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

        /// <summary>The shared folder's path, whether or not it exists.</summary>
        public static string SharedCandidate
        {
            get
            {
                var env = Environment.GetEnvironmentVariable(SharedVariable);
                return !string.IsNullOrEmpty(env) ? Path.GetFullPath(env) : Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            }
        }

        /// <summary>The shared folder; throws a message naming the missing folder and the variable when it is absent.</summary>
        public static string Shared
        {
            get
            {
                var path = SharedCandidate;
                if (!Directory.Exists(path)) throw new InvalidOperationException(SharedMissing(path));
                return path;
            }
        }

        public static string SharedMissing(string path) =>
            $"The shared folder '{path}' is missing (upstream files and test vectors; set {SharedVariable}, default: ../shared beside the repository). " +
            "A test that reads it needs [Trait(\"Category\", \"Shared\")] (Pester: -Tag Shared): build.ps1 Test leaves those out, saying so once, " +
            "when the folder is missing, and fails under CI=true.";

        public static string ClusterScript => Path.Combine(Root, "tests", "cluster", "cluster.sh");
    }
}
