using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;
using k8s;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// A small, generic JSON client for the Kubernetes API on top of KubernetesClient's configuration, TLS and
    /// authentication pipeline. Every call names its verb and resource so that a failure becomes a precise
    /// <see cref="AlpException"/> (401, 403 with verb/resource/namespace, 404, 409, 422, unreachable, timeout).
    /// </summary>
    public sealed class KubeApi : IDisposable
    {
        public const string FieldManager = "calicoalp";
        private static readonly MediaTypeHeaderValue JsonType = new("application/json");
        private readonly Kubernetes _client;
        private readonly HttpClient _http;
        private readonly IOperationLog _log;
        private HashSet<string>? _groupVersions;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HashSet<string>> _resources = new(StringComparer.Ordinal); // written from parallel writes' re-plans

        internal KubeApi(Kubernetes client, string contextName, string server, string? kubeconfig, IOperationLog log)
        {
            _client = client;
            _http = client.HttpClient;
            ContextName = contextName;
            Server = server.TrimEnd('/');
            Kubeconfig = kubeconfig;
            _log = log;
        }

        public string ContextName { get; }
        public string Server { get; }
        /// <summary>The context's exec credential plugin command, if it has one (named in its errors).</summary>
        public string? ExecCommand { get; init; }
        public string? Kubeconfig { get; }
        public IOperationLog Log => _log;

        public void Dispose()
        {
            _client.Dispose();
        }

        /// <summary>The object, or null when it does not exist.</summary>
        public async Task<JsonObject?> GetAsync(ResourceType type, string? ns, string name, CancellationToken ct)
        {
            var (status, body) = await SendAsync(HttpMethod.Get, type.ItemPath(ns, name), null, null, ct).ConfigureAwait(false);
            if (status == HttpStatusCode.NotFound) return null;
            Ensure(status, body, "get", type, ns, name);
            return ParseObject(body);
        }

        public async Task<JsonObject> CreateAsync(ResourceType type, string? ns, JsonObject obj, bool dryRun, CancellationToken ct)
        {
            var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "";
            var (status, body) = await SendAsync(HttpMethod.Post, type.CollectionPath(ns) + WriteQuery(dryRun), obj, JsonType, ct).ConfigureAwait(false);
            Ensure(status, body, "create", type, ns, name);
            return ParseObject(body);
        }

        /// <summary>PUT of a whole object; the object's metadata.resourceVersion makes it conditional (409 if stale).</summary>
        public async Task<JsonObject> ReplaceAsync(ResourceType type, string? ns, JsonObject obj, bool dryRun, CancellationToken ct)
        {
            var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "";
            var (status, body) = await SendAsync(HttpMethod.Put, type.ItemPath(ns, name) + WriteQuery(dryRun), obj, JsonType, ct).ConfigureAwait(false);
            Ensure(status, body, "update", type, ns, name);
            return ParseObject(body);
        }

        /// <summary>JSON merge patch (RFC 7386); put metadata.resourceVersion in the patch to make it conditional.</summary>
        public async Task<JsonObject> MergePatchAsync(ResourceType type, string? ns, string name, JsonObject patch, bool dryRun, CancellationToken ct)
        {
            var (status, body) = await SendAsync(HttpMethod.Patch, type.ItemPath(ns, name) + WriteQuery(dryRun), patch,
                new MediaTypeHeaderValue("application/merge-patch+json"), ct).ConfigureAwait(false);
            Ensure(status, body, "patch", type, ns, name);
            return ParseObject(body);
        }

        /// <summary>
        /// Deletes an object; with a resourceVersion the delete is conditional (409 if it changed). False if it was absent.
        /// The options travel in the DeleteOptions body: kube-apiserver reads a DELETE's options from the body when
        /// there is one and then ignores the query string, so dryRun must be in the body (as <c>kubectl delete
        /// --dry-run=server</c> sends it); the query repeats it only so that logs show it.
        /// </summary>
        public async Task<bool> DeleteAsync(ResourceType type, string? ns, string name, string? resourceVersion, bool dryRun, CancellationToken ct)
        {
            var (status, body) = await SendAsync(HttpMethod.Delete, type.ItemPath(ns, name) + DryRunQuery(dryRun, "?"),
                DeleteOptions(resourceVersion, dryRun), JsonType, ct).ConfigureAwait(false);
            if (status == HttpStatusCode.NotFound) return false;
            Ensure(status, body, "delete", type, ns, name);
            return true;
        }

        /// <summary>Lists objects (all pages) with optional label and field selectors. ns null = all namespaces.</summary>
        public async Task<List<JsonObject>> ListAsync(ResourceType type, string? ns, string? labelSelector, string? fieldSelector, CancellationToken ct, int pageSize = 500)
        {
            var items = new List<JsonObject>();
            await ListPagesAsync(type, ns, labelSelector, fieldSelector, pageSize, body =>
            {
                if (ParseObject(body)["items"] is JsonArray arr)
                {
                    // Taken out of the list (no parent), not copied: a copy would build every node of every item at once,
                    // while an item read from the bytes builds only the nodes its reader touches.
                    var page = arr.ToArray();
                    arr.Clear();
                    foreach (var item in page)
                    {
                        if (item is JsonObject o) items.Add(o);
                    }
                }
            }, ct).ConfigureAwait(false);
            return items;
        }

        /// <summary>
        /// Lists objects (all pages) and keeps of each only what <paramref name="project"/> makes of it, read straight
        /// from the page's parsed bytes: for thousands of pods, a few fields each cost a fraction of whole objects.
        /// </summary>
        public async Task<List<JsonObject>> ListAsync(ResourceType type, string? ns, string? labelSelector, string? fieldSelector,
            Func<JsonElement, JsonObject> project, CancellationToken ct, int pageSize = 500)
        {
            var items = new List<JsonObject>();
            await ListPagesAsync(type, ns, labelSelector, fieldSelector, pageSize, body =>
            {
                try
                {
                    using var doc = JsonDocument.Parse(body);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("items", out var arr) && arr.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var item in arr.EnumerateArray())
                        {
                            if (item.ValueKind == JsonValueKind.Object) items.Add(project(item));
                        }
                    }
                }
                catch (JsonException ex)
                {
                    throw new AlpException("ApiServerBadResponse", AlpErrorKind.InvalidData, "The API server sent a response that is not a JSON object: " + ex.Message, null, ex);
                }
            }, ct).ConfigureAwait(false);
            return items;
        }

        /// <summary>
        /// The paging loop of a LIST. Each page's continue token is read first (the list's metadata comes before its
        /// items), so the next page is already asked for while <paramref name="page"/> reads this one: the API server
        /// prepares page n+1 while we parse page n. Pages are read in order, one at a time.
        /// </summary>
        private async Task ListPagesAsync(ResourceType type, string? ns, string? labelSelector, string? fieldSelector, int pageSize,
            Action<byte[]> page, CancellationToken ct)
        {
            string PathOf(string? cont)
            {
                var q = new List<string> { $"limit={pageSize}" };
                if (!string.IsNullOrEmpty(labelSelector)) q.Add("labelSelector=" + Uri.EscapeDataString(labelSelector));
                if (!string.IsNullOrEmpty(fieldSelector)) q.Add("fieldSelector=" + Uri.EscapeDataString(fieldSelector));
                if (cont != null) q.Add("continue=" + Uri.EscapeDataString(cont));
                return type.CollectionPath(ns) + "?" + string.Join("&", q);
            }
            using var ahead = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<(HttpStatusCode Status, byte[] Body)>? next = SendAsync(HttpMethod.Get, PathOf(null), null, null, ahead.Token);
            try
            {
                while (next != null)
                {
                    var (status, body) = await next.ConfigureAwait(false);
                    next = null;
                    Ensure(status, body, "list", type, ns, null);
                    var cont = ContinueToken(body);
                    if (cont != null) next = SendAsync(HttpMethod.Get, PathOf(cont), null, null, ahead.Token);
                    page(body);
                }
            }
            finally
            {
                if (next != null)
                {
                    // This page failed: the request already sent for the next one is cancelled and its end observed.
                    ahead.Cancel();
                    try { await next.ConfigureAwait(false); } catch (Exception) { /* the first failure is the one reported */ }
                }
            }
        }

        /// <summary>metadata.continue of a list response (null at the last page), found without parsing its items.</summary>
        internal static string? ContinueToken(byte[] body)
        {
            try
            {
                var reader = new Utf8JsonReader(body);
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isMetadata = reader.ValueTextEquals("metadata"u8);
                    if (!reader.Read()) return null;
                    if (!isMetadata || reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isContinue = reader.ValueTextEquals("continue"u8);
                        if (!reader.Read()) return null;
                        if (isContinue && reader.TokenType == JsonTokenType.String)
                        {
                            var token = reader.GetString();
                            return string.IsNullOrEmpty(token) ? null : token;
                        }
                        reader.Skip();
                    }
                    return null;
                }
                return null;
            }
            catch (JsonException)
            {
                return null; // the page's own parse reports a bad response
            }
        }

        /// <summary>True when the API server serves the group/version (discovery; readable by every authenticated user).</summary>
        public async Task<bool> ServesAsync(string group, string version, CancellationToken ct)
        {
            if (_groupVersions == null)
            {
                var (status, body) = await SendAsync(HttpMethod.Get, "/apis", null, null, ct).ConfigureAwait(false);
                Ensure(status, body, "discover", null, null, null);
                var set = new HashSet<string>(StringComparer.Ordinal);
                if (ParseObject(body)["groups"] is JsonArray groups)
                {
                    foreach (var g in groups)
                    {
                        if (g?["versions"] is JsonArray versions)
                        {
                            foreach (var v in versions)
                            {
                                var gv = v?["groupVersion"]?.GetValue<string>();
                                if (gv != null) set.Add(gv);
                            }
                        }
                    }
                }
                _groupVersions = set;
            }
            return _groupVersions.Contains($"{group}/{version}");
        }

        /// <summary>
        /// True when the API server serves the resource (plural) in group/version: discovery of the group-version's
        /// resource list (readable by every authenticated user). A group can be served without the resource
        /// (projectcalico.org/v3 by Calico's API server, felixconfigurations by Calico 3.32's native CRDs).
        /// </summary>
        public async Task<bool> ServesResourceAsync(string group, string version, string plural, CancellationToken ct)
        {
            if (!await ServesAsync(group, version, ct).ConfigureAwait(false)) return false;
            var key = $"{group}/{version}";
            if (!_resources.TryGetValue(key, out var names))
            {
                var (status, body) = await SendAsync(HttpMethod.Get, $"/apis/{group}/{version}", null, null, ct).ConfigureAwait(false);
                if (status == HttpStatusCode.NotFound) return false;
                Ensure(status, body, "discover", null, null, key);
                names = new HashSet<string>(StringComparer.Ordinal);
                if (ParseObject(body)["resources"] is JsonArray arr)
                {
                    foreach (var r in arr)
                    {
                        var n = r?["name"]?.GetValue<string>();
                        if (n != null) names.Add(n);
                    }
                }
                _resources[key] = names;
            }
            return names.Contains(plural);
        }

        /// <summary>The API server's version (GET /version), e.g. "v1.20.2".</summary>
        public async Task<string?> GetServerVersionAsync(CancellationToken ct)
        {
            var (status, body) = await SendAsync(HttpMethod.Get, "/version", null, null, ct).ConfigureAwait(false);
            Ensure(status, body, "get", null, null, "version");
            return ParseObject(body)["gitVersion"]?.GetValue<string>();
        }

        /// <summary>
        /// The query of a create, update or patch: for these verbs the body is the object (or the patch), so their
        /// options (CreateOptions, UpdateOptions, PatchOptions) are only ever read from the query string.
        /// </summary>
        private static string WriteQuery(bool dryRun) =>
            "?fieldManager=" + FieldManager + DryRunQuery(dryRun, "&");

        private static string DryRunQuery(bool dryRun, string separator) => dryRun ? separator + "dryRun=All" : "";

        /// <summary>The DeleteOptions body of a delete: background propagation, the resourceVersion precondition, the dry run.</summary>
        private static JsonObject DeleteOptions(string? resourceVersion, bool dryRun)
        {
            var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["propagationPolicy"] = "Background" };
            if (resourceVersion != null) options["preconditions"] = new JsonObject { ["resourceVersion"] = resourceVersion };
            if (dryRun) options["dryRun"] = new JsonArray("All");
            return options;
        }

        /// <summary>
        /// One request through the client's handlers (credentials, retries, the API log). The body is kept as the UTF-8
        /// bytes the server sent: a LIST of thousands of pods is parsed straight from them (no UTF-16 copy), and text is
        /// made only for an error's message.
        /// </summary>
        private async Task<(HttpStatusCode Status, byte[] Body)> SendAsync(HttpMethod method, string pathAndQuery, JsonNode? content,
            MediaTypeHeaderValue? contentType, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, Server + pathAndQuery);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (content != null)
            {
                request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(content));
                request.Content.Headers.ContentType = contentType;
            }
            try
            {
                if (_client.Credentials != null)
                {
                    await _client.Credentials.ProcessHttpRequestAsync(request, ct).ConfigureAwait(false);
                }
                using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
                var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                return (response.StatusCode, bytes);
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested && KubeCredentialErrors.IsTlsFailure(ex))
            {
                throw KubeCredentialErrors.ServerCertificate(ex, Server, ContextName);
            }
            catch (HttpRequestException ex) when (!ct.IsCancellationRequested)
            {
                var reason = ex.InnerException?.Message ?? ex.Message;
                throw new AlpException("ApiServerUnreachable", AlpErrorKind.ConnectionError,
                    $"Cannot reach the API server {Server} of context '{ContextName}' ({method} {PathOnly(pathAndQuery)}): {reason}", Server, ex)
                { RecommendedAction = "Check that the cluster is running and that the kubeconfig's server address is right." };
            }
            catch (AlpException)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !ct.IsCancellationRequested && KubeCredentialErrors.FromExec(ex, ContextName, ExecCommand) != null)
            {
                throw KubeCredentialErrors.FromExec(ex, ContextName, ExecCommand)!;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !ct.IsCancellationRequested && IsAuthFailure(ex))
            {
                throw new AlpException("KubeAuthenticationFailed", AlpErrorKind.AuthenticationError,
                    $"Getting credentials for context '{ContextName}' failed: {ex.Message}", ContextName, ex);
            }
        }

        private static bool IsAuthFailure(Exception ex) =>
            ex is k8s.Exceptions.KubeConfigException || ex.GetType().FullName?.Contains("Authentication", StringComparison.Ordinal) == true
            || ex is System.ComponentModel.Win32Exception || ex is System.IO.IOException;

        private static string PathOnly(string pathAndQuery)
        {
            var i = pathAndQuery.IndexOf('?');
            return i < 0 ? pathAndQuery : pathAndQuery[..i];
        }

        private static JsonObject ParseObject(byte[] body)
        {
            try
            {
                return JsonNode.Parse(body) as JsonObject ?? new JsonObject();
            }
            catch (JsonException ex)
            {
                throw new AlpException("ApiServerBadResponse", AlpErrorKind.InvalidData, "The API server sent a response that is not a JSON object: " + ex.Message, null, ex);
            }
        }

        private void Ensure(HttpStatusCode status, byte[] bytes, string verb, ResourceType? type, string? ns, string? name)
        {
            var code = (int)status;
            if (code >= 200 && code < 300) return;
            var body = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 64 * 1024)); // a Status is small; a proxy's HTML page need not be read whole
            string serverMessage = "";
            string? reason = null;
            try
            {
                var st = JsonNode.Parse(body) as JsonObject;
                serverMessage = st?["message"]?.GetValue<string>() ?? "";
                reason = st?["reason"]?.GetValue<string>();
            }
            catch (JsonException)
            {
                serverMessage = body.Length > 300 ? body[..300] : body;
            }
            var what = type == null ? (name ?? "the API") : $"{type.FullName}{(name == null ? "" : $" '{name}'")}";
            var where = type == null ? "" : type.Namespaced ? (string.IsNullOrEmpty(ns) ? " in all namespaces" : $" in namespace '{ns}'") : " (cluster-scoped)";
            var target = type == null ? (object)Server : $"{type.FullName}/{(string.IsNullOrEmpty(ns) ? "" : ns + "/")}{name}";
            var suffix = string.IsNullOrEmpty(serverMessage) ? "" : $" Server said: {serverMessage}";
            switch (status)
            {
                case HttpStatusCode.Unauthorized:
                    throw new AlpException("KubeUnauthorized", AlpErrorKind.AuthenticationError,
                        $"The API server {Server} rejected the credentials of context '{ContextName}' (401 Unauthorized) when trying to {verb} {what}.", ContextName)
                    { RecommendedAction = "Refresh the credentials in the kubeconfig (token, client certificate or exec plugin)." };
                case HttpStatusCode.Forbidden:
                    throw new AlpException("KubeForbidden", AlpErrorKind.PermissionDenied,
                        $"Forbidden: context '{ContextName}' may not {verb} {what}{where} (403).{suffix}", target)
                    { RecommendedAction = $"Grant the user RBAC permission to {verb} {type?.FullName ?? "this resource"}{where}, or use a context that has it." };
                case HttpStatusCode.NotFound:
                    throw new AlpException("KubeNotFound", AlpErrorKind.ObjectNotFound, $"Not found: {what}{where}.{suffix}", target);
                case HttpStatusCode.Conflict:
                    throw new KubeConflictException(reason == "AlreadyExists",
                        $"Conflict on {verb} {what}{where}: {(reason == "AlreadyExists" ? "it already exists" : "it was changed by someone else")}.{suffix}", target);
                case HttpStatusCode.UnprocessableEntity:
                case HttpStatusCode.BadRequest:
                    throw new AlpException("KubeInvalid", AlpErrorKind.InvalidData, $"The API server refused to {verb} {what}{where} ({code}).{suffix}", target);
                default:
                    throw new AlpException("KubeApiError", code >= 500 || code == 429 ? AlpErrorKind.ResourceBusy : AlpErrorKind.InvalidOperation,
                        $"The API server answered {code} {status} to {verb} {what}{where}.{suffix}", target);
            }
        }
    }

    /// <summary>A 409: either the object already exists or its resourceVersion is stale. Callers re-read and retry.</summary>
    public sealed class KubeConflictException : Exception
    {
        public KubeConflictException(bool alreadyExists, string message, object target) : base(message)
        {
            AlreadyExists = alreadyExists;
            Target = target;
        }
        public bool AlreadyExists { get; }
        public object Target { get; }
    }
}
