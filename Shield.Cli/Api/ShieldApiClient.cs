using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Shield.Contracts;
using Shield.Contracts.Documents;
using Shield.Contracts.Jobs;

namespace Shield.Cli.Api;

/// <summary>Where the Api is and the key for its write endpoints.</summary>
public sealed record ApiSettings(Uri BaseAddress, string? ApiKey)
{
    public const string DefaultUrl = "http://localhost:8000";
}

/// <summary>One file of an upload: the name the Api sees (no folders), its bytes and its media type.</summary>
public sealed record DocumentUpload(string FileName, byte[] Content, string ContentType);

/// <summary>The options of <c>POST /documents</c> the command line sets: sent as form fields, only when they differ from the Api's defaults.</summary>
public sealed record UploadOptions(bool Reprocess = false, string? SplitByCharacter = null, bool SplitByCharacterOnly = false)
{
    public IEnumerable<(string Name, string Value)> Fields()
    {
        if (Reprocess) yield return (UploadFields.Reprocess, "true");
        if (SplitByCharacter is not null) yield return (UploadFields.SplitByCharacter, SplitByCharacter);
        if (SplitByCharacterOnly) yield return (UploadFields.SplitByCharacterOnly, "true");
    }
}

/// <summary>The Api's endpoints the command line uses. Errors become <see cref="ShieldApiException"/> or <see cref="ApiUnreachableException"/>.</summary>
public sealed class ShieldApiClient : IDisposable
{
    /// <summary>Longest wait for one ordinary request (the event stream has no limit but <see cref="StreamIdleTimeout"/>).</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The stream sends a keep-alive comment every 15 s; this long without a line means it has died.</summary>
    public static readonly TimeSpan StreamIdleTimeout = TimeSpan.FromSeconds(45);

    /// <summary>The contracts' options, leaving out the optional fields not set (the Api tells an absent option from a null one).</summary>
    private static readonly JsonSerializerOptions IgnoreNulls = new(ContractJson.Options)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

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

    /// <summary>
    /// <c>POST /documents</c> as multipart/form-data, the files in the field <c>files</c> (the Api extracts and cuts
    /// them); 202 and 200 (nothing queued) both answer the upload's result.
    /// </summary>
    public async Task<DocumentUploadResult> UploadDocumentsAsync(
        IReadOnlyList<DocumentUpload> files, UploadOptions options, CancellationToken cancellationToken)
    {
        var form = new MultipartFormDataContent();
        foreach (var file in files)
        {
            var part = new ByteArrayContent(file.Content);
            part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(file.ContentType);
            form.Add(part, UploadFields.Files, file.FileName);
        }
        foreach (var (name, value) in options.Fields())
        {
            form.Add(new StringContent(value), name);
        }
        using var message = new HttpRequestMessage(HttpMethod.Post, "documents") { Content = form };
        return await SendAsync<DocumentUploadResult>(message, cancellationToken);
    }

    /// <summary><c>POST /documents</c> with the JSON form <c>{text, source_name}</c>: a text the Api reads as it is.</summary>
    public async Task<DocumentUploadResult> UploadTextAsync(string sourceName, string text, UploadOptions options, CancellationToken cancellationToken)
    {
        var request = new DocumentTextRequest(text, sourceName, options.Reprocess ? true : null, options.SplitByCharacter,
            options.SplitByCharacterOnly ? true : null);
        using var message = new HttpRequestMessage(HttpMethod.Post, "documents")
        {
            Content = JsonContent.Create(request, options: IgnoreNulls),
        };
        return await SendAsync<DocumentUploadResult>(message, cancellationToken);
    }

    /// <summary><c>GET /documents</c>: one page, newest first.</summary>
    public async Task<DocumentList> ListDocumentsAsync(string? status, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (status is not null) query.Add($"status={Uri.EscapeDataString(status)}");
        if (limit is not null) query.Add($"limit={limit.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (cursor is not null) query.Add($"cursor={Uri.EscapeDataString(cursor)}");
        using var message = new HttpRequestMessage(HttpMethod.Get, query.Count == 0 ? "documents" : "documents?" + string.Join('&', query));
        return await SendAsync<DocumentList>(message, cancellationToken);
    }

    public async Task<DocumentView> GetDocumentAsync(string documentId, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, $"documents/{Uri.EscapeDataString(documentId)}");
        return await SendAsync<DocumentView>(message, cancellationToken);
    }

    /// <summary><c>DELETE /documents/{id}</c>: the deletion job that was queued (or is already running).</summary>
    public async Task<DocumentDeletionAccepted> DeleteDocumentAsync(string documentId, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Delete, $"documents/{Uri.EscapeDataString(documentId)}");
        return await SendAsync<DocumentDeletionAccepted>(message, cancellationToken);
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
