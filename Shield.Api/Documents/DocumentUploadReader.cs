using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Shield.Api.Ingestion;
using Shield.Contracts.Documents;
using Shield.Documents.Chunking;
using Shield.Documents.Extraction;

namespace Shield.Api.Documents;

/// <summary>
/// Reads a <c>POST /documents</c> request whole — a multipart upload of files, or a JSON text — extracts each file's
/// text and cuts it as LightRAG does, before anything is recorded: a request is either wholly valid or answered with
/// the 4xx problem of its first fault, and then nothing is recorded or queued.
/// </summary>
public sealed class DocumentUploadReader(IOptions<DocumentLimits> limits, IOptions<IngestionLimits> ingestionLimits, TokenChunker chunker)
{
    public const string FilesField = UploadFields.Files;
    public const string ReprocessField = UploadFields.Reprocess;
    public const string SplitByCharacterField = UploadFields.SplitByCharacter;
    public const string SplitByCharacterOnlyField = UploadFields.SplitByCharacterOnly;

    private static readonly HashSet<string> OptionFields = [ReprocessField, SplitByCharacterField, SplitByCharacterOnlyField];
    private static readonly HashSet<string> JsonFields = ["text", "source_name", .. OptionFields];

    private readonly DocumentLimits _limits = limits.Value;
    private readonly DocumentReader _reader = new(limits.Value.ToReadLimits());

    public async Task<UploadRead> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > _limits.MaxRequestBytes)
        {
            return RequestTooLarge();
        }
        // Kestrel's own limit (30 MB by default) would cut a legitimate upload short; this endpoint's is MaxRequestBytes.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = _limits.MaxRequestBytes;
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in OptionFields)
        {
            if (request.Query.TryGetValue(name, out var values))
            {
                if (values.Count > 1) return Invalid(name, $"{name} may be given once.");
                options[name] = values.ToString();
            }
        }

        try
        {
            var media = request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed : null;
            if (media?.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                return await ReadMultipartAsync(request, media, options, cancellationToken);
            }
            if (media is not null && (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || media.MediaType.Value?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) == true))
            {
                return await ReadJsonAsync(request, options, cancellationToken);
            }
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Upload files as multipart/form-data (field '{FilesField}'), or send {{\"text\", \"source_name\"}} as application/json " +
                $"(got '{request.ContentType ?? "no Content-Type"}').");
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's word on the body itself: past MaxRequestBytes, or cut off before its end.
            return ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? RequestTooLarge() : Malformed($"The request body cannot be read: {ex.Message}");
        }
    }

    private async Task<UploadRead> ReadMultipartAsync(HttpRequest request, MediaTypeHeaderValue media, Dictionary<string, string> options,
        CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            return Malformed("The multipart/form-data Content-Type has no valid boundary.");
        }
        var documents = new List<ExtractedDocument>();
        var seenFields = new HashSet<string>(StringComparer.Ordinal);
        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    return Malformed("Each part needs a Content-Disposition: form-data header with a name.");
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                if (disposition.IsFileDisposition())
                {
                    if (name != FilesField)
                    {
                        return Invalid(name, $"Files go in the field '{FilesField}' (got '{name}').");
                    }
                    if (documents.Count == _limits.MaxFilesPerRequest)
                    {
                        return Problem(StatusCodes.Status413PayloadTooLarge, "Too many files",
                            $"An upload may hold at most {_limits.MaxFilesPerRequest} files; send the others in further requests.");
                    }
                    var fileName = FileNameOf(disposition);
                    if (fileName is null)
                    {
                        return Invalid(FilesField, $"Each file needs a name of 1 to {DocumentLimits.MaxSourceNameLength} characters, such as notes.pdf.");
                    }
                    var bytes = await BoundedBody.ReadAsync(section.Body, _limits.MaxFileBytes, cancellationToken);
                    if (bytes is null)
                    {
                        return Rejected(new DocumentRejectedException(DocumentProblem.TooLarge,
                            $"'{fileName}' is larger than {_limits.MaxFileBytes:N0} bytes, the most a file may be."), fileName);
                    }
                    try
                    {
                        // Read now, so only the text is kept while the next file arrives.
                        documents.Add(_reader.Read(fileName, bytes));
                    }
                    catch (DocumentRejectedException ex)
                    {
                        return Rejected(ex, fileName);
                    }
                }
                else if (OptionFields.Contains(name))
                {
                    if (!seenFields.Add(name)) return Invalid(name, $"{name} may be given once.");
                    var value = await BoundedBody.ReadAsync(section.Body, 1024, cancellationToken);
                    if (value is null || !System.Text.Unicode.Utf8.IsValid(value)) return Invalid(name, $"{name} must be short UTF-8 text.");
                    var text = Encoding.UTF8.GetString(value);
                    if (options.TryGetValue(name, out var fromQuery) && fromQuery != text)
                    {
                        return Invalid(name, $"{name} is given in the query ('{fromQuery}') and as a field ('{text}'): give it once.");
                    }
                    options[name] = text;
                }
                else
                {
                    return Invalid(name, $"Unknown field '{name}'. Allowed: {FilesField}, {string.Join(", ", OptionFields)}.");
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested
            && ex is not BadHttpRequestException)
        {
            return Malformed($"The multipart body cannot be read: {ex.Message}");
        }

        if (documents.Count == 0)
        {
            return Invalid(FilesField, $"Upload at least one file in the field '{FilesField}' ({FileType.SupportedList}).");
        }
        return Cut(documents, options);
    }

    private async Task<UploadRead> ReadJsonAsync(HttpRequest request, Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        var body = await BoundedBody.ReadAsync(request.Body, _limits.MaxFileBytes, cancellationToken);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"A text document may be at most {_limits.MaxFileBytes:N0} bytes of JSON; split it into several documents.");
        }
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            return Malformed("The body is not valid UTF-8; JSON must be sent as UTF-8.");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            return Malformed($"The body is not a valid JSON document: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Invalid("$", "The body must be a JSON object: {\"text\": \"…\", \"source_name\": \"notes.txt\"}.");
            }
            var errors = new Dictionary<string, string[]>();
            foreach (var property in root.EnumerateObject().Where(p => !JsonFields.Contains(p.Name)))
            {
                errors[property.Name] = [$"Unknown field '{property.Name}'. Allowed: {string.Join(", ", JsonFields)}."];
            }
            var text = JsonString(root, "text", errors, required: true);
            if (text is not null && string.IsNullOrWhiteSpace(text))
            {
                errors["text"] = ["text must not be empty or whitespace."];
            }
            var sourceName = JsonString(root, "source_name", errors, required: true);
            if (sourceName is not null && CleanName(sourceName) is null)
            {
                errors["source_name"] = [$"source_name must be 1 to {DocumentLimits.MaxSourceNameLength} characters without control characters."];
            }
            foreach (var name in OptionFields)
            {
                if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) continue;
                string? given = value.ValueKind switch
                {
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.String when name == SplitByCharacterField => value.GetString(),
                    _ => null,
                };
                if (given is null)
                {
                    errors[name] = [name == SplitByCharacterField ? $"{name} must be a string." : $"{name} must be true or false."];
                }
                else if (options.TryGetValue(name, out var fromQuery) && fromQuery != given)
                {
                    errors[name] = [$"{name} is given in the query ('{fromQuery}') and in the body ('{given}'): give it once."];
                }
                else
                {
                    options[name] = given;
                }
            }
            if (errors.Count > 0)
            {
                return new UploadRead(null, TypedResults.ValidationProblem(errors, "See errors for each field; nothing was recorded.", title: "The document is invalid"));
            }

            var source = CleanName(sourceName!)!;
            var type = FileType.ForFileName(source) is { } named && (named == FileType.Text || named == FileType.Markdown) ? named : FileType.Text;
            try
            {
                return Cut([_reader.FromText(source, type, Encoding.UTF8.GetByteCount(text!), text!)], options);
            }
            catch (DocumentRejectedException ex)
            {
                return Rejected(ex, source);
            }
        }
    }

    /// <summary>Cuts each document with LightRAG's chunking and the request's options, and checks the result against the limits.</summary>
    private UploadRead Cut(List<ExtractedDocument> documents, Dictionary<string, string> options)
    {
        if (!Flag(options, ReprocessField, out var reprocess)) return Invalid(ReprocessField, $"{ReprocessField} must be true or false.");
        if (!Flag(options, SplitByCharacterOnlyField, out var splitOnly)) return Invalid(SplitByCharacterOnlyField, $"{SplitByCharacterOnlyField} must be true or false.");
        var split = options.GetValueOrDefault(SplitByCharacterField);
        if (split is { Length: > DocumentLimits.MaxSplitByCharacterLength })
        {
            return Invalid(SplitByCharacterField, $"{SplitByCharacterField} may be at most {DocumentLimits.MaxSplitByCharacterLength} characters.");
        }
        if (splitOnly && string.IsNullOrEmpty(split))
        {
            return Invalid(SplitByCharacterOnlyField, $"{SplitByCharacterOnlyField} needs {SplitByCharacterField}.");
        }

        var files = new List<UploadFile>(documents.Count);
        foreach (var document in documents)
        {
            IReadOnlyList<DocumentChunk> chunks;
            try
            {
                chunks = chunker.Split(document.Text, split, splitOnly);
            }
            catch (ChunkTooLargeException ex)
            {
                return Problem(StatusCodes.Status422UnprocessableEntity, "Piece too large for split_by_character_only", ex.Message, document.SourceName);
            }
            if (chunks.Count > _limits.MaxChunksPerDocument)
            {
                return Rejected(new DocumentRejectedException(DocumentProblem.TooLarge,
                    $"'{document.SourceName}' is {chunks.Count:N0} chunks; a document may be at most {_limits.MaxChunksPerDocument:N0}. Split it."), document.SourceName);
            }
            if (chunks.FirstOrDefault(c => Encoding.UTF8.GetByteCount(c.Content) > ingestionLimits.Value.MaxChunkTextBytes) is { } large)
            {
                return Rejected(new DocumentRejectedException(DocumentProblem.TooLarge,
                    $"Chunk {large.Index} of '{document.SourceName}' is over {ingestionLimits.Value.MaxChunkTextBytes:N0} bytes of UTF-8, the most a chunk may be."),
                    document.SourceName);
            }
            files.Add(new UploadFile(document, chunks));
        }
        return new UploadRead(new Upload(files, reprocess), null);
    }

    /// <summary>A boolean option: true/false (any case) or 1/0; false when absent. False on anything else.</summary>
    private static bool Flag(Dictionary<string, string> options, string name, out bool value)
    {
        value = false;
        if (!options.TryGetValue(name, out var text)) return true;
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "1": value = true; return true;
            case "false" or "0": return true;
            default: return false;
        }
    }

    private static string? JsonString(JsonElement root, string name, Dictionary<string, string[]> errors, bool required)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors[name] = [$"{name} is required."];
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = [$"{name} must be a string."];
            return null;
        }
        return value.GetString();
    }

    /// <summary>The file name without any path a client sent with it; null when nothing usable is left.</summary>
    private static string? FileNameOf(ContentDispositionHeaderValue disposition)
    {
        var raw = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
        return raw is null ? null : CleanName(Path.GetFileName(raw.Replace('\\', '/')));
    }

    private static string? CleanName(string name)
    {
        var trimmed = name.Trim();
        return trimmed.Length is 0 or > DocumentLimits.MaxSourceNameLength || trimmed.Any(char.IsControl) ? null : trimmed;
    }

    private UploadRead RequestTooLarge() => Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large",
        $"An upload may be at most {_limits.MaxRequestBytes:N0} bytes in all; send fewer or smaller files per request.");

    private static UploadRead Malformed(string detail) => Problem(StatusCodes.Status400BadRequest, "Malformed request", detail);

    private static UploadRead Invalid(string field, string message) => new(null, TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [field] = [message] }, "See errors for each field; nothing was recorded.", title: "The upload is invalid"));

    private static UploadRead Rejected(DocumentRejectedException ex, string fileName) => ex.Problem switch
    {
        DocumentProblem.UnsupportedType => Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type", ex.Message, fileName),
        DocumentProblem.TooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "Document too large", ex.Message, fileName),
        DocumentProblem.Empty => Problem(StatusCodes.Status422UnprocessableEntity, "No text in the document", ex.Message, fileName),
        _ => Problem(StatusCodes.Status422UnprocessableEntity, "Unreadable document", ex.Message, fileName),
    };

    private static UploadRead Problem(int status, string title, string detail, string? fileName = null) => new(null, TypedResults.Problem(
        detail + " Nothing was recorded.", statusCode: status, title: title,
        extensions: fileName is null ? null : new Dictionary<string, object?> { ["file_name"] = fileName }));
}

/// <summary>One document of an upload: its text and its chunks.</summary>
public sealed record UploadFile(ExtractedDocument Document, IReadOnlyList<DocumentChunk> Chunks);

/// <summary>A valid upload: its documents in the order sent, and whether known ones are to be ingested again.</summary>
public sealed record Upload(IReadOnlyList<UploadFile> Files, bool Reprocess);

/// <summary>Either the upload or the problem to answer with.</summary>
public sealed record UploadRead(Upload? Upload, IResult? Problem);
