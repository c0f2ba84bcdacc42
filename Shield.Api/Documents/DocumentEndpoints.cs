using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Shield.Api.Ingestion;
using Shield.Api.Jobs;
using Shield.Api.Security;
using Shield.Contracts.Documents;
using Shield.Documents;
using Shield.Ingestion.Documents;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Documents;

/// <summary>
/// Documents, as LightRAG's server offers them, on Shield's pipeline: upload files or text (cut here with LightRAG's
/// chunking, one ingest job per document), see each document's status, delete a document.
/// </summary>
public static class DocumentEndpoints
{
    /// <summary>The <c>source_type</c> of a document's ingest job.</summary>
    public const string SourceType = "document";

    public static IEndpointRouteBuilder MapDocumentEndpoints(this IEndpointRouteBuilder app)
    {
        var reads = app.MapReadGroup().WithTags("Documents");
        var writes = app.MapWriteGroup().WithTags("Documents");

        writes.MapPost("/documents", UploadAsync)
            .WithName("UploadDocuments")
            .WithSummary("Upload documents (files or a text) for ingestion")
            .WithDescription("multipart/form-data with one or more `files` (.txt, .md, .pdf, .docx), or application/json " +
                "{text, source_name}. Each document's text is extracted and cut with LightRAG's chunking (o200k_base, 1,200 tokens, " +
                "100 overlap; optional `split_by_character`, `split_by_character_only`) and queued as one job. A document's id is " +
                "doc- + MD5 of its text: one already known is not processed again (200 with it) unless `reprocess=true` (query or " +
                "field); one whose last ingestion failed is. 202 when at least one document was queued; each file has a " +
                "`disposition`: queued, existing, duplicate (same text as an earlier file of the request), deleting. A bad file " +
                "is a 4xx problem for the whole request (415 type, 413 size, 422 unreadable or without text) and nothing is recorded.")
            // One Accepts for both bodies: the last Accepts alone decides which content types reach the handler.
            .Accepts<DocumentTextRequest>("application/json", "multipart/form-data")
            .AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            {
                // The multipart body is the form's, not the JSON request's.
                if (operation.RequestBody?.Content?.TryGetValue("multipart/form-data", out var form) == true)
                {
                    form.Schema = await context.GetOrCreateSchemaAsync(typeof(DocumentUploadForm), cancellationToken: cancellationToken);
                }
            })
            .Produces<DocumentUploadResult>(StatusCodes.Status202Accepted)
            .Produces<DocumentUploadResult>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            // The body is read by DocumentUploadReader; form binding and its antiforgery metadata do not apply.
            .DisableAntiforgery();

        reads.MapGet("/documents", ListAsync)
            .WithName("ListDocuments")
            .WithSummary("Documents, newest first")
            .WithDescription("`status` (pending, processing, processed, failed, deleting) filters; `limit` 1–100 (default 20); " +
                "`cursor` is the previous page's `next_cursor`.")
            .Produces<DocumentList>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        reads.MapGet("/documents/{document_id}", GetAsync)
            .WithName("GetDocument")
            .WithSummary("A document's status, size, chunks and jobs")
            .Produces<DocumentView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        writes.MapDelete("/documents/{document_id}", DeleteAsync)
            .WithName("DeleteDocument")
            .WithSummary("Delete a document and what it contributed")
            .WithDescription("The document turns `deleting` and a deletion job is queued (202 with its URLs); its ingest jobs still " +
                "running are cancelled. Asking again while it runs answers the same job. The Workers remove the document's " +
                "chunks (a chunk another document also contains stays) and rebuild what it contributed to the graph.")
            .Produces<DocumentDeletionAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpRequest request, DocumentUploadReader reader, DocumentStore documents,
        QueueBacklog backlog, IOptions<IngestionLimits> ingestionLimits, CancellationToken cancellationToken)
    {
        var read = await reader.ReadAsync(request, cancellationToken);
        if (read.Upload is not { } upload)
        {
            return read.Problem!;
        }

        // The same text twice in one request is one document: the first file stands for it.
        var distinct = upload.Files.DistinctBy(f => f.Document.DocumentId).ToList();
        var known = await documents.StatusesAsync([.. distinct.Select(f => f.Document.DocumentId)], cancellationToken);
        var toQueue = distinct.Where(f => !known.TryGetValue(f.Document.DocumentId, out var status)
            || (status != DocumentStatus.Deleting && (upload.Reprocess || status == DocumentStatus.Failed))).ToList();
        var limit = ingestionLimits.Value.MaxBacklog;
        if (toQueue.Count > 0 && await backlog.CountAsync() + toQueue.Sum(f => f.Chunks.Count) > limit)
        {
            request.HttpContext.Response.Headers.RetryAfter = "30";
            return TypedResults.Problem($"The queue already holds more than {limit} unfinished chunks; nothing was recorded. Upload again after Retry-After seconds.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue full");
        }

        var outcomes = new Dictionary<string, DocumentAcceptance>(StringComparer.Ordinal);
        foreach (var file in distinct)
        {
            try
            {
                outcomes[file.Document.DocumentId] = await documents.AcceptAsync(ToNewDocument(file), upload.Reprocess, cancellationToken);
            }
            catch (JobNotQueuedException ex)
            {
                request.HttpContext.Response.Headers.RetryAfter = "5";
                var queued = outcomes.Values.Where(o => o.Job is not null).Select(o => o.Document.DocumentId).ToList();
                return TypedResults.Problem(
                    $"'{file.Document.SourceName}' (job {ex.JobId}) was not queued because Redis did not accept it; it is recorded as failed " +
                    $"and is ingested when uploaded again. {(queued.Count == 0 ? "No other document of this request was queued." : "Queued before it: " + string.Join(", ", queued) + ".")}",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue unavailable");
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var answers = upload.Files.Select(file =>
        {
            var outcome = outcomes[file.Document.DocumentId];
            var disposition = !seen.Add(file.Document.DocumentId) ? UploadDispositions.Duplicate
                : outcome.Disposition switch
                {
                    DocumentDisposition.Queued => UploadDispositions.Queued,
                    DocumentDisposition.BeingDeleted => UploadDispositions.Deleting,
                    _ => UploadDispositions.Existing,
                };
            var jobId = outcome.Job?.JobId ?? outcome.Document.LatestIngest?.JobId;
            return new UploadedDocument(file.Document.SourceName, outcome.Document.DocumentId, disposition, outcome.Document.Status,
                outcome.Document.ChunkCount, jobId, DocumentUrls.Status(outcome.Document.DocumentId),
                jobId is { } job ? JobUrls.Status(job) : null, jobId is { } events ? JobUrls.Events(events) : null);
        }).ToList();

        if (outcomes.Values.All(o => o.Disposition == DocumentDisposition.BeingDeleted))
        {
            return TypedResults.Problem($"{string.Join(", ", outcomes.Keys)} {(outcomes.Count == 1 ? "is" : "are")} being deleted; " +
                "upload again once the deletion has finished. Nothing was recorded.", statusCode: StatusCodes.Status409Conflict, title: "Document being deleted");
        }
        var result = new DocumentUploadResult(answers);
        var location = distinct.Count == 1 ? DocumentUrls.Status(distinct[0].Document.DocumentId) : null;
        return outcomes.Values.Any(o => o.Disposition == DocumentDisposition.Queued)
            ? TypedResults.Accepted(location, result)
            : TypedResults.Ok(result);
    }

    /// <summary>One job per document: the job's metadata names the document, and so every chunk's (chunk metadata is merged over it).</summary>
    private static NewDocument ToNewDocument(UploadFile file)
    {
        var document = file.Document;
        var metadata = new System.Text.Json.Nodes.JsonObject
        {
            [DocumentMetadata.DocumentIdField] = document.DocumentId,
            ["file_name"] = document.SourceName,
            ["content_type"] = document.Type.ContentType,
        };
        var chunks = file.Chunks.Select(c => new NewChunk(c.Content, $"{document.SourceName}#chunk-{c.Index}",
            Merge(metadata, c.Index, c.Tokens))).ToList();
        var job = new NewJob(Guid.CreateVersion7(), SourceType, metadata.ToJsonString(), chunks);
        var summary = document.Text.Length <= 100 ? document.Text : document.Text[..100];
        return new NewDocument(document.DocumentId, document.SourceName, document.Type.ContentType, document.SizeBytes,
            document.Text.Length, summary, job);
    }

    /// <summary>As the CLI sends them: LightRAG's <c>chunk_order_index</c> and <c>tokens</c> over the job's metadata.</summary>
    private static string Merge(System.Text.Json.Nodes.JsonObject job, int index, int tokens)
    {
        var merged = job.DeepClone().AsObject();
        merged["chunk_order_index"] = index;
        merged["tokens"] = tokens;
        return merged.ToJsonString();
    }

    private static async Task<Results<Ok<DocumentList>, ProblemHttpResult>> ListAsync(
        string? status, string? limit, string? cursor, DocumentStore documents, CancellationToken cancellationToken)
    {
        if (status is not null && !DocumentStatus.All.Contains(status))
        {
            return TypedResults.Problem($"'status' must be one of {string.Join(", ", DocumentStatus.All)}, not '{Truncate(status)}'.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid status filter");
        }
        var count = 20;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > 100))
        {
            return TypedResults.Problem($"'limit' must be a whole number from 1 to 100, not '{Truncate(limit)}'.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit");
        }
        DocumentCursor? after = null;
        if (cursor is not null)
        {
            if (Cursors.Parse(cursor) is not { } parsed)
            {
                return TypedResults.Problem("'cursor' must be a next_cursor from a previous page of GET /documents.",
                    statusCode: StatusCodes.Status400BadRequest, title: "Invalid cursor");
            }
            after = parsed;
        }
        var page = await documents.ListAsync(status, count, after, cancellationToken);
        return TypedResults.Ok(new DocumentList([.. page.Documents.Select(d => d.ToView())], page.Next is { } next ? Cursors.Format(next) : null));
    }

    private static async Task<Results<Ok<DocumentView>, ProblemHttpResult>> GetAsync(
        string document_id, DocumentStore documents, CancellationToken cancellationToken)
    {
        if (!DocumentIds.IsWellFormed(document_id)) return MalformedId(document_id);
        return await documents.GetAsync(document_id, cancellationToken) is { } document
            ? TypedResults.Ok(document.ToView())
            : NotFound(document_id);
    }

    private static async Task<Results<Accepted<DocumentDeletionAccepted>, ProblemHttpResult>> DeleteAsync(
        string document_id, DocumentStore documents, IConfiguration configuration, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!DocumentIds.IsWellFormed(document_id)) return MalformedId(document_id);
        var ttl = TimeSpan.FromSeconds(configuration.GetValue("Shield:Workers:JobStatusTtl", 3600));
        try
        {
            if (await documents.DeleteAsync(document_id, ttl, cancellationToken) is not { } deletion)
            {
                return NotFound(document_id);
            }
            var job = deletion.Job.JobId;
            return TypedResults.Accepted(JobUrls.Status(job), new DocumentDeletionAccepted(document_id, deletion.Document.Status, job,
                DocumentUrls.Status(document_id), JobUrls.Status(job), JobUrls.Events(job)));
        }
        catch (JobNotQueuedException ex)
        {
            response.Headers.RetryAfter = "5";
            return TypedResults.Problem($"The deletion of {document_id} (job {ex.JobId}) was not queued because Redis did not accept it; " +
                "the document is as it was. Delete it again.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue unavailable");
        }
    }

    private static ProblemHttpResult MalformedId(string value) => TypedResults.Problem(
        $"'{Truncate(value)}' is not a document id; document ids are doc- and 32 hexadecimal digits (the MD5 of the text).",
        statusCode: StatusCodes.Status400BadRequest, title: "Malformed document id");

    private static ProblemHttpResult NotFound(string documentId) => TypedResults.Problem(
        $"Document {documentId} not found", statusCode: StatusCodes.Status404NotFound, title: "Document not found");

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    /// <summary>Opaque page cursors: the last document's creation time (ticks) and id, base64url.</summary>
    private static class Cursors
    {
        public static string Format(DocumentCursor cursor) =>
            WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"{cursor.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{cursor.DocumentId}"));

        public static DocumentCursor? Parse(string text)
        {
            try
            {
                var parts = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(text)).Split(':', 2);
                return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && ticks is > 0 and <= 3155378975999999999 && DocumentIds.IsWellFormed(parts[1])
                    ? new DocumentCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1])
                    : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }
    }
}
