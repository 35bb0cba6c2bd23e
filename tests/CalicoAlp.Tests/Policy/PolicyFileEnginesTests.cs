using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using CalicoAlp.Core.Diagnostics;
using CalicoAlp.Core.Policy.Evaluation;
using CalicoAlp.Core.Policy.Loading;
using CalicoAlp.Core.Policy.Requests;
using Xunit;

namespace CalicoAlp.Tests.Policy
{
    /// <summary>Engines of policy files kept across pipelines: found by content, invalidated by any change, bounded.</summary>
    public sealed class PolicyFileEnginesTests : IDisposable
    {
        private const string Policy = @"apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: api, namespace: web}
spec:
  selector: app == 'api'
  ingress:
  - action: Allow
    http: {methods: [GET], paths: [{prefix: /aaa}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: web, labels: {app: api}}
spec: {serviceAccountName: api}
status: {podIP: 10.1.0.9}
";
        private readonly string _dir;
        private readonly string _file;

        public PolicyFileEnginesTests()
        {
            _dir = Path.Combine(Path.GetTempPath(), "calicoalp-fileengines-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_dir);
            _file = Path.Combine(_dir, "policy.yaml");
            File.WriteAllText(_file, Policy);
        }

        public void Dispose() => Directory.Delete(_dir, true);

        private static Verdict Decide(PolicyEngine engine, string path) =>
            engine.Evaluate(new AlpRequestBuilder(engine).Build(new RequestFields { DestinationIP = IPAddress.Parse("10.1.0.9"), Method = "GET", Path = path })).Verdict;

        [Fact]
        public void The_same_files_give_the_same_engine_and_the_same_decisions_as_loading_them()
        {
            var cache = new PolicyFileEngines(4);
            var first = cache.Get([_dir], CalicoBehavior.Baseline);
            Assert.Same(first, cache.Get([_dir], CalicoBehavior.Baseline));
            Assert.Equal(1, cache.Count);
            var loaded = PolicyEngine.Compile(PolicyLoader.LoadPath(_dir), CalicoBehavior.Baseline);
            foreach (var path in new[] { "/aaa", "/aaa/x", "/bbb", "/" })
            {
                Assert.Equal(Decide(loaded, path), Decide(first, path));
            }
            Assert.Equal(Verdict.Allow, Decide(first, "/aaa/x"));
        }

        [Fact]
        public void An_edit_that_keeps_size_and_time_is_a_new_engine_with_the_new_rules()
        {
            var cache = new PolicyFileEngines(4);
            var before = cache.Get([_file], CalicoBehavior.Baseline);
            var stamp = File.GetLastWriteTimeUtc(_file);
            File.WriteAllText(_file, Policy.Replace("/aaa", "/bbb", StringComparison.Ordinal));
            File.SetLastWriteTimeUtc(_file, stamp);
            var after = cache.Get([_file], CalicoBehavior.Baseline);
            Assert.NotSame(before, after);
            Assert.Equal(Verdict.Allow, Decide(before, "/aaa"));
            Assert.NotEqual(Verdict.Allow, Decide(after, "/aaa"));
            Assert.Equal(Verdict.Allow, Decide(after, "/bbb"));
        }

        [Fact]
        public void A_file_added_to_a_folder_or_another_release_is_a_new_engine()
        {
            var cache = new PolicyFileEngines(4);
            var before = cache.Get([_dir], CalicoBehavior.Baseline);
            Assert.NotSame(before, cache.Get([_dir], CalicoBehavior.Parse("3.29")));
            File.WriteAllText(Path.Combine(_dir, "more.yaml"), Policy.Replace("name: api,", "name: api2,", StringComparison.Ordinal).Replace("/aaa", "/ccc", StringComparison.Ordinal));
            var after = cache.Get([_dir], CalicoBehavior.Baseline);
            Assert.NotSame(before, after);
            Assert.Equal(Verdict.Allow, Decide(after, "/ccc"));
            Assert.NotEqual(Verdict.Allow, Decide(before, "/ccc"));
            File.Delete(Path.Combine(_dir, "more.yaml"));
            Assert.Same(before, cache.Get([_dir], CalicoBehavior.Baseline));
        }

        [Fact]
        public void At_most_capacity_engines_are_kept_and_the_least_recently_used_goes_first()
        {
            var cache = new PolicyFileEngines(2);
            var files = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                var f = Path.Combine(_dir, $"p{i}.yaml");
                File.WriteAllText(f, Policy.Replace("/aaa", $"/p{i}a", StringComparison.Ordinal));
                files.Add(f);
            }
            var e0 = cache.Get([files[0]], CalicoBehavior.Baseline);
            var e1 = cache.Get([files[1]], CalicoBehavior.Baseline);
            Assert.Same(e0, cache.Get([files[0]], CalicoBehavior.Baseline)); // e0 is now the most recently used
            var e2 = cache.Get([files[2]], CalicoBehavior.Baseline);         // drops e1
            Assert.Equal(2, cache.Count);
            Assert.Same(e0, cache.Get([files[0]], CalicoBehavior.Baseline));
            Assert.Same(e2, cache.Get([files[2]], CalicoBehavior.Baseline));
            Assert.NotSame(e1, cache.Get([files[1]], CalicoBehavior.Baseline));
            Assert.Equal(2, cache.Count);
            cache.Clear();
            Assert.Equal(0, cache.Count);
            Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyFileEngines(0));
        }

        [Fact]
        public void A_missing_path_is_the_loader_error_and_nothing_is_kept()
        {
            var cache = new PolicyFileEngines(4);
            var ex = Assert.Throws<AlpException>(() => cache.Get([Path.Combine(_dir, "nope.yaml")], CalicoBehavior.Baseline));
            Assert.Equal("PolicyPathNotFound", ex.ErrorId);
            Assert.Equal(0, cache.Count);
        }

        [Fact]
        public void Pipelines_share_the_process_cache_for_files()
        {
            var a = new PolicyEngineCache(null, new PolicyFileEngines(4));
            var shared = new PolicyFileEngines(4);
            var b = new PolicyEngineCache(null, shared);
            var c = new PolicyEngineCache(null, shared);
            var eb = b.ForFiles("x", () => [_file], CalicoBehavior.Baseline);
            Assert.Same(eb, c.ForFiles("y", () => [_file], CalicoBehavior.Baseline));
            Assert.NotSame(eb, a.ForFiles("x", () => [_file], CalicoBehavior.Baseline));
        }
    }
}
