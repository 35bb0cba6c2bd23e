using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using CalicoAlp.Core.Diagnostics;

namespace CalicoAlp.Core.Kube
{
    /// <summary>
    /// Retries a request on 429, 500, 502, 503, 504, on a dropped connection and on a per-attempt timeout, with
    /// exponential backoff and jitter (Retry-After wins when the server sends it). The user's cancellation is never
    /// retried. Conflicts (409) are not handled here: they need a re-read, which the callers do.
    /// </summary>
    public sealed class RetryHandler : DelegatingHandler
    {
        private readonly KubeConnectionOptions _options;
        private readonly IOperationLog _log;

        public RetryHandler(KubeConnectionOptions options, IOperationLog log)
        {
            _options = options;
            _log = log;
        }

        public static bool IsRetryable(HttpStatusCode code) =>
            code is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            byte[]? body = request.Content == null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var delay = _options.InitialBackoff;
            for (var attempt = 0; ; attempt++)
            {
                using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attemptCts.CancelAfter(_options.RequestTimeout);
                var message = attempt == 0 ? request : Clone(request, body);
                string failure;
                TimeSpan? retryAfter = null;
                try
                {
                    var response = await base.SendAsync(message, attemptCts.Token).ConfigureAwait(false);
                    if (!IsRetryable(response.StatusCode) || attempt >= _options.MaxRetries)
                    {
                        return response;
                    }
                    failure = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                    retryAfter = response.Headers.RetryAfter?.Delta;
                    response.Dispose();
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _options.MaxRetries)
                    {
                        throw new AlpException("ApiServerTimeout", AlpErrorKind.OperationTimeout,
                            $"{request.Method} {PathOf(request)} got no answer within {_options.RequestTimeout.TotalSeconds:0.#} s ({attempt + 1} attempts).",
                            request.RequestUri?.GetLeftPart(UriPartial.Authority));
                    }
                    failure = $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s";
                }
                catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A certificate that does not verify will not verify on a retry either.
                    if (attempt >= _options.MaxRetries || KubeCredentialErrors.IsTlsFailure(ex))
                    {
                        throw;
                    }
                    failure = ex.InnerException?.Message ?? ex.Message;
                }

                var wait = retryAfter is { } ra && ra > TimeSpan.Zero && ra < TimeSpan.FromSeconds(30) ? ra : Jitter(delay);
                _log.Verbose($"{request.Method} {PathOf(request)}: {failure}; retry {attempt + 1}/{_options.MaxRetries} in {wait.TotalMilliseconds:0} ms.");
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 8000));
            }
        }

        private static TimeSpan Jitter(TimeSpan delay) =>
            TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.75 + Random.Shared.NextDouble() * 0.5));

        internal static string PathOf(HttpRequestMessage request) => request.RequestUri?.PathAndQuery ?? "";

        private static HttpRequestMessage Clone(HttpRequestMessage request, byte[]? body)
        {
            var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
            foreach (var h in request.Headers)
            {
                clone.Headers.TryAddWithoutValidation(h.Key, h.Value);
            }
            if (body != null)
            {
                clone.Content = new ByteArrayContent(body);
                foreach (var h in request.Content!.Headers)
                {
                    clone.Content.Headers.TryAddWithoutValidation(h.Key, h.Value);
                }
            }
            foreach (var o in request.Options)
            {
                ((System.Collections.Generic.IDictionary<string, object?>)clone.Options)[o.Key] = o.Value;
            }
            return clone;
        }
    }

    /// <summary>Logs every API call (method, path, status, time) to the verbose stream; never headers or bodies.</summary>
    public sealed class ApiLogHandler : DelegatingHandler
    {
        private readonly IOperationLog _log;
        public ApiLogHandler(IOperationLog log) => _log = log;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                _log.Verbose($"{request.Method} {RetryHandler.PathOf(request)} -> {(int)response.StatusCode} {response.ReasonPhrase} ({sw.ElapsedMilliseconds} ms)");
                return response;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _log.Verbose($"{request.Method} {RetryHandler.PathOf(request)} -> failed after {sw.ElapsedMilliseconds} ms: {ex.GetType().Name}");
                throw;
            }
        }
    }
}
