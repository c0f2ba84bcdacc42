using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Shield.Contracts;
using Shield.Contracts.Ingestion;
using Shield.Contracts.Jobs;

namespace Shield.Cli.Api;

/// <summary>Where the Api is and the key for its write endpoints.</summary>
public sealed record ApiSettings(Uri BaseAddress, string? ApiKey)
{
    public const string DefaultUrl = "http://localhost:8000";
}

/// <summary>The Api's endpoints the command line uses. Errors become <see cref="ShieldApiException"/> or <see cref="ApiUnreachableException"/>.</summary>
public sealed class ShieldApiClient : IDisposable
{
    /// <summary>Longest wait for one ordinary request (the event stream has no limit but <see cref="StreamIdleTimeout"/>).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The stream sends a keep-alive comment every 15 s; this long without a line means it has died.</summary>
    public static readonly TimeSpan StreamIdleTimeout = TimeSpan.FromSeconds(45);

    private readonly HttpClient _http;
    private readonly ApiSettings _settings;

    public ShieldApiClient(ApiSettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
        {
            BaseAddress = settings.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("shield-cli/1.0");
        // Every endpoint but /health needs a key once the Api has one: a read key for status and watch, a write key to ingest.
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            _http.DefaultRequestHeaders.Add("X-Api-Key", settings.ApiKey);
        }
    }

    public Uri BaseAddress => _settings.BaseAddress;

    public async Task<IngestionAccepted> SubmitAsync(IngestionRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "lightrag/ingest-async")
        {
            Content = JsonContent.Create(request, options: ContractJson.Options),
        };
        return await SendAsync<IngestionAccepted>(message, cancellationToken);
    }

    public async Task<JobSnapshot> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"jobs/{Uri.EscapeDataString(jobId)}");
        return await SendAsync<JobSnapshot>(message, cancellationToken);
    }

    /// <summary>
    /// Reads <c>/events/stream</c> (one job's events from its start with <paramref name="jobId"/>; otherwise from the
    /// newest event, or after <paramref name="lastEventId"/>). Ends when the server closes the stream; a stream silent
    /// for <see cref="StreamIdleTimeout"/> throws <see cref="TimeoutException"/>.
    /// </summary>
    public async IAsyncEnumerable<ServerSentEvent> StreamEventsAsync(
        string? jobId, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = jobId is null ? "events/stream" : $"events/stream?job_id={Uri.EscapeDataString(jobId)}";
        using var message = new HttpRequestMessage(HttpMethod.Get, url);
        message.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null) message.Headers.Add("Last-Event-ID", lastEventId);

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(message, HttpCompletionOption.ResponseHeadersRead, idle.Token, cancellationToken);
        await ThrowIfErrorAsync(response, idle.Token);

        await using var stream = await response.Content.ReadAsStreamAsync(idle.Token);
        // Every line read (keep-alive comments included) restarts the idle timer.
        using var reader = new IdleLineReader(new StreamReader(stream, Encoding.UTF8), () => idle.CancelAfter(StreamIdleTimeout));
        var events = ServerSentEventReader.ReadAsync(reader, idle.Token).GetAsyncEnumerator(idle.Token);
        try
        {
            idle.CancelAfter(StreamIdleTimeout);
            while (true)
            {
                bool more;
                try
                {
                    more = await events.MoveNextAsync();
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"The event stream sent nothing for {StreamIdleTimeout.TotalSeconds:0} s.");
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    throw new ApiUnreachableException(_settings.BaseAddress, ex);
                }
                if (!more) yield break;
                yield return events.Current;
            }
        }
        finally
        {
            await events.DisposeAsync();
        }
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await SendRawAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken);
        await ThrowIfErrorAsync(response, timeout.Token);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(ContractJson.Options, timeout.Token)
                ?? throw new ShieldApiException(new ProblemDocument((int)response.StatusCode, "Empty answer", null, new Dictionary<string, string[]>()));
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ApiUnreachableException(_settings.BaseAddress, new TimeoutException("The answer did not arrive in time.", ex));
        }
        catch (JsonException ex)
        {
            throw new ShieldApiException(new ProblemDocument((int)response.StatusCode, "Unexpected answer",
                $"{message.RequestUri} did not answer with the JSON Shield sends ({ex.Message}). Is {_settings.BaseAddress} a Shield API?",
                new Dictionary<string, string[]>()));
        }
    }

    /// <param name="cancellationToken">The caller's token with this request's time limit.</param>
    /// <param name="callerToken">The caller's own token: cancelling it is not a timeout.</param>
    private async Task<HttpResponseMessage> SendRawAsync(
        HttpRequestMessage message, HttpCompletionOption completion, CancellationToken cancellationToken, CancellationToken callerToken)
    {
        try
        {
            return await _http.SendAsync(message, completion, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new ApiUnreachableException(_settings.BaseAddress, ex);
        }
        catch (OperationCanceledException ex) when (!callerToken.IsCancellationRequested)
        {
            throw new ApiUnreachableException(_settings.BaseAddress, new TimeoutException("The request timed out.", ex));
        }
    }

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new ShieldApiException(ProblemDocument.Parse(response.StatusCode, body));
    }

    public void Dispose() => _http.Dispose();
}
