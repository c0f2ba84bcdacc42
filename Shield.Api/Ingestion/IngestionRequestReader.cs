using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Shield.Contracts.Ingestion;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Ingestion;

/// <summary>
/// Reads and validates a submission by hand rather than through model binding, so every way a body can be wrong
/// (not JSON, not UTF-8, too deep, too big, wrong shapes, unknown fields) becomes a precise 4xx problem, and a
/// request is either wholly valid or changes nothing.
/// </summary>
public sealed class IngestionRequestReader(IOptions<IngestionLimits> limits)
{
    private static readonly HashSet<string> JobFields = [IngestionFields.Chunks, IngestionFields.SourceType, IngestionFields.Metadata];
    private static readonly HashSet<string> ChunkFields = [IngestionFields.Text, IngestionFields.SourceUri, IngestionFields.Metadata];

    private readonly IngestionLimits _limits = limits.Value;

    public async Task<ReadResult> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            return ReadResult.Fail(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the submission as application/json (got '{request.ContentType ?? "no Content-Type"}').");
        }
        if (request.ContentLength > _limits.MaxRequestBodyBytes)
        {
            return TooLarge();
        }

        var body = await BoundedBody.ReadAsync(request.Body, _limits.MaxRequestBodyBytes, cancellationToken);
        if (body is null)
        {
            return TooLarge();
        }

        // JsonDocument only checks a string's UTF-8 when the string is read; check the whole body up front.
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return ReadResult.Fail(StatusCodes.Status400BadRequest, "Malformed JSON",
                "The body is not valid UTF-8; JSON must be sent as UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions
            {
                MaxDepth = _limits.MaxJsonDepth,
                AllowDuplicateProperties = false,
            });
        }
        catch (JsonException ex)
        {
            return ReadResult.Fail(StatusCodes.Status400BadRequest, "Malformed JSON",
                $"The body is not a valid UTF-8 JSON document: {ex.Message}");
        }

        using (document)
        {
            return Validate(document.RootElement) with { BodySha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body)) };
        }
    }

    private ReadResult TooLarge() => ReadResult.Fail(StatusCodes.Status413PayloadTooLarge, "Request body too large",
        $"A submission may be at most {_limits.MaxRequestBodyBytes} bytes; split the document into several jobs.");

    private ReadResult Validate(JsonElement root)
    {
        var errors = new Dictionary<string, List<string>>();
        void Error(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            Error("$", $"The body must be a JSON object, not {Describe(root)}.");
            return ReadResult.Invalid(errors);
        }

        RejectUnknownFields(root, JobFields, "", Error);
        var sourceType = RequiredString(root, IngestionFields.SourceType, IngestionFields.SourceType, _limits.MaxSourceTypeLength, Error);
        var jobMetadata = Metadata(root, IngestionFields.Metadata, Error);

        var chunks = new List<NewChunk>();
        if (!root.TryGetProperty(IngestionFields.Chunks, out var chunksElement) || chunksElement.ValueKind == JsonValueKind.Null)
        {
            Error(IngestionFields.Chunks, "chunks is required: an array of {text, source_uri, metadata?} objects.");
        }
        else if (chunksElement.ValueKind != JsonValueKind.Array)
        {
            Error(IngestionFields.Chunks, $"chunks must be an array, not {Describe(chunksElement)}.");
        }
        else if (chunksElement.GetArrayLength() == 0)
        {
            Error(IngestionFields.Chunks, "chunks must contain at least one chunk.");
        }
        else if (chunksElement.GetArrayLength() > _limits.MaxChunksPerRequest)
        {
            Error(IngestionFields.Chunks, $"At most {_limits.MaxChunksPerRequest} chunks per request (got {chunksElement.GetArrayLength()}); split the submission into several jobs.");
        }
        else
        {
            var index = 0;
            foreach (var chunk in chunksElement.EnumerateArray())
            {
                var path = $"{IngestionFields.Chunks}[{index++}]";
                if (chunk.ValueKind != JsonValueKind.Object)
                {
                    Error(path, $"Each chunk must be an object with text and source_uri, not {Describe(chunk)}.");
                    continue;
                }
                RejectUnknownFields(chunk, ChunkFields, path + ".", Error);
                var text = RequiredString(chunk, IngestionFields.Text, $"{path}.{IngestionFields.Text}", maxLength: null, Error);
                if (text is not null && Encoding.UTF8.GetByteCount(text) > _limits.MaxChunkTextBytes)
                {
                    Error($"{path}.{IngestionFields.Text}", $"A chunk's text may be at most {_limits.MaxChunkTextBytes} UTF-8 bytes.");
                    text = null;
                }
                var sourceUri = RequiredString(chunk, IngestionFields.SourceUri, $"{path}.{IngestionFields.SourceUri}", _limits.MaxSourceUriLength, Error);
                var chunkMetadata = Metadata(chunk, IngestionFields.Metadata, Error, path + ".");
                if (text is not null && sourceUri is not null && errors.Count == 0)
                {
                    chunks.Add(new NewChunk(text, sourceUri, Merge(jobMetadata, chunkMetadata)));
                }
                if (errors.Count >= 20)
                {
                    break; // enough to fix; a 1,000-chunk mistake should not produce a megabyte of errors
                }
            }
        }

        if (errors.Count > 0)
        {
            return ReadResult.Invalid(errors);
        }
        return ReadResult.Valid(new NewJob(Guid.CreateVersion7(), sourceType!, jobMetadata?.ToJsonString() ?? "{}", chunks));
    }

    private static void RejectUnknownFields(JsonElement element, HashSet<string> known, string prefix, Action<string, string> error)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                // Unknown fields are refused, not ignored: a misspelt "metdata" would otherwise vanish silently.
                error(prefix + property.Name, $"Unknown field '{property.Name}'. Allowed: {string.Join(", ", known)}.");
            }
        }
    }

    private static string? RequiredString(JsonElement element, string name, string path, int? maxLength, Action<string, string> error)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            error(path, $"{name} is required.");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            error(path, $"{name} must be a string, not {Describe(value)}.");
            return null;
        }
        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error(path, $"{name} must not be empty or whitespace.");
            return null;
        }
        if (maxLength is { } max && text.Length > max)
        {
            error(path, $"{name} may be at most {max} characters.");
            return null;
        }
        return text;
    }

    private JsonObject? Metadata(JsonElement element, string name, Action<string, string> error, string prefix = "")
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind != JsonValueKind.Object)
        {
            error(prefix + name, $"{name} must be a JSON object, not {Describe(value)}.");
            return null;
        }
        if (Encoding.UTF8.GetByteCount(value.GetRawText()) > _limits.MaxMetadataBytes)
        {
            error(prefix + name, $"{name} may be at most {_limits.MaxMetadataBytes} bytes of JSON.");
            return null;
        }
        return JsonNode.Parse(value.GetRawText())!.AsObject();
    }

    /// <summary>Chunk metadata wins over the job's for the same key; the merged object travels with the chunk.</summary>
    private static string Merge(JsonObject? job, JsonObject? chunk)
    {
        var merged = job?.DeepClone().AsObject() ?? [];
        foreach (var (key, value) in chunk ?? [])
        {
            merged[key] = value?.DeepClone();
        }
        return merged.ToJsonString();
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || media.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

/// <summary>Either a job to enqueue or the problem to answer with.</summary>
public sealed record ReadResult(NewJob? Job, int Status, string? Title, string? Detail, Dictionary<string, string[]>? Errors)
{
    /// <summary>Fingerprint of the exact body, to tell a replayed submission from a different one under the same Idempotency-Key.</summary>
    public string BodySha256 { get; init; } = "";

    public static ReadResult Valid(NewJob job) => new(job, StatusCodes.Status202Accepted, null, null, null);

    public static ReadResult Fail(int status, string title, string detail) => new(null, status, title, detail, null);

    public static ReadResult Invalid(Dictionary<string, List<string>> errors) => new(null, StatusCodes.Status400BadRequest,
        "The submission is invalid", "See errors for each field; nothing was queued.",
        errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
