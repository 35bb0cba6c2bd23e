using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;

namespace CalicoAlp.Tests.Injector
{
    /// <summary>
    /// A minimal in-process Kubernetes API (HTTP) for the objects the injector cmdlets touch: get/create/replace of
    /// namespaced objects with resourceVersion checks (409 Conflict / AlreadyExists), list with items, dryRun=All.
    /// </summary>
    internal sealed class FakeKubeApiServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;
        private int _rv = 100;

        public FakeKubeApiServer()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _loop = Task.Run(Loop);
        }

        public string Url { get; }

        /// <summary>Objects by API path of the item (e.g. /api/v1/namespaces/istio-system/configmaps/x).</summary>
        public ConcurrentDictionary<string, JsonObject> Objects { get; } = new(StringComparer.Ordinal);

        /// <summary>Every write request as "VERB path" (dry runs marked).</summary>
        public ConcurrentQueue<string> Writes { get; } = new();

        /// <summary>Runs once, just before the first non-dry-run PUT is handled (to simulate a concurrent writer).</summary>
        public Action<FakeKubeApiServer>? BeforeFirstPut { get; set; }

        public string Put(string path, JsonObject obj)
        {
            var rv = (++_rv).ToString(System.Globalization.CultureInfo.InvariantCulture);
            ((JsonObject)obj["metadata"]!)["resourceVersion"] = rv;
            Objects[path] = obj;
            return rv;
        }

        public string WriteKubeconfig(string dir)
        {
            var path = Path.Combine(dir, "kubeconfig");
            File.WriteAllText(path, $"apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {Url}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\nusers:\n- name: fake\n  user:\n    token: fake-token\n");
            return path;
        }

        private async Task Loop()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync().ConfigureAwait(false);
                }
                catch (Exception) when (!_listener.IsListening)
                {
                    return;
                }
                catch (HttpListenerException)
                {
                    return;
                }
                try
                {
                    Handle(ctx);
                }
                catch (Exception ex)
                {
                    Respond(ctx, 500, Status(500, "InternalError", ex.Message));
                }
            }
        }

        private void Handle(HttpListenerContext ctx)
        {
            var path = ctx.Request.Url!.AbsolutePath;
            var dryRun = (ctx.Request.Url.Query ?? "").Contains("dryRun=All", StringComparison.Ordinal);
            var method = ctx.Request.HttpMethod;
            string body;
            using (var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8)) body = reader.ReadToEnd();

            if (method == "GET")
            {
                if (Objects.TryGetValue(path, out var obj))
                {
                    Respond(ctx, 200, obj.ToJsonString());
                    return;
                }
                // a collection: items whose path is below it (any namespace when the path has none)
                var items = Objects.Where(kv => Collection(kv.Key) == path || (!path.Contains("/namespaces/", StringComparison.Ordinal) && Plural(kv.Key) == path.Split('/').Last() && kv.Key.StartsWith(path[..path.LastIndexOf('/')], StringComparison.Ordinal)))
                    .Select(kv => (JsonNode)kv.Value.DeepClone()).ToArray();
                if (items.Length > 0 || path.EndsWith("/pods", StringComparison.Ordinal))
                {
                    Respond(ctx, 200, new JsonObject { ["kind"] = "List", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["items"] = new JsonArray(items) }.ToJsonString());
                    return;
                }
                Respond(ctx, 404, Status(404, "NotFound", $"{path} not found"));
                return;
            }

            var sent = JsonNode.Parse(body)!.AsObject();
            if (method == "POST")
            {
                var item = path + "/" + sent["metadata"]!["name"]!.GetValue<string>();
                Writes.Enqueue($"POST {item}{(dryRun ? " (dry run)" : "")}");
                if (Objects.ContainsKey(item))
                {
                    Respond(ctx, 409, Status(409, "AlreadyExists", $"{item} already exists"));
                    return;
                }
                if (!dryRun) Put(item, sent);
                Respond(ctx, 201, sent.ToJsonString());
                return;
            }
            if (method == "PUT")
            {
                Writes.Enqueue($"PUT {path}{(dryRun ? " (dry run)" : "")}");
                if (!dryRun && BeforeFirstPut is { } hook)
                {
                    BeforeFirstPut = null;
                    hook(this);
                }
                if (!Objects.TryGetValue(path, out var current))
                {
                    Respond(ctx, 404, Status(404, "NotFound", $"{path} not found"));
                    return;
                }
                var sentRv = sent["metadata"]?["resourceVersion"]?.GetValue<string>();
                if (sentRv != current["metadata"]!["resourceVersion"]!.GetValue<string>())
                {
                    Respond(ctx, 409, Status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again"));
                    return;
                }
                if (!dryRun) Put(path, sent);
                Respond(ctx, 200, sent.ToJsonString());
                return;
            }
            Respond(ctx, 405, Status(405, "MethodNotAllowed", method));
        }

        private static string Collection(string item) => item[..item.LastIndexOf('/')];

        private static string Plural(string item)
        {
            var c = Collection(item);
            return c[(c.LastIndexOf('/') + 1)..];
        }

        private static string Status(int code, string reason, string message) =>
            new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["reason"] = reason, ["code"] = code, ["message"] = message }.ToJsonString();

        private static void Respond(HttpListenerContext ctx, int status, string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength64 = bytes.Length;
            ctx.Response.OutputStream.Write(bytes);
            ctx.Response.Close();
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // stopped
            }
        }
    }
}
