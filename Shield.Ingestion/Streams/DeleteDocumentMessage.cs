using StackExchange.Redis;

namespace Shield.Ingestion.Streams;

/// <summary>
/// A document's deletion, queued on <see cref="IngestionStream.Key"/> by <c>DELETE /documents/{id}</c> as the one entry
/// of its deletion job (<see cref="SourceType"/>): a consumer removes what the document contributed and ends the job.
/// Like a <see cref="FinalizeMessage"/> its first field is <see cref="FinalizeMessage.KindField"/>, so the scripts that
/// begin chunks pass it by, and it travels like a chunk (delivered, claimed back from a dead consumer, acknowledged
/// when done).
/// </summary>
public sealed record DeleteDocumentMessage(Guid JobId, string DocumentId, string? TraceParent = null, string? TraceState = null)
{
    public const string Kind = "delete";

    /// <summary>The <c>source_type</c> of a deletion job.</summary>
    public const string SourceType = "deletion";

    private const string JobIdField = "job_id";
    private const string DocumentIdField = "document_id";
    private const string TraceParentField = "traceparent";
    private const string TraceStateField = "tracestate";

    public NameValueEntry[] ToStreamFields() =>
    [
        new(FinalizeMessage.KindField, Kind),
        new(JobIdField, JobId.ToString()),
        new(DocumentIdField, DocumentId),
        new(TraceParentField, TraceParent ?? ""),
        new(TraceStateField, TraceState ?? ""),
    ];

    /// <summary>True when the entry is a deletion; <paramref name="message"/> is null when it is one but lacks its job or document id.</summary>
    public static bool TryRead(StreamEntry entry, out DeleteDocumentMessage? message)
    {
        message = null;
        if (entry.IsNull || entry.Values is not { Length: > 0 } fields || fields[0].Name != FinalizeMessage.KindField || fields[0].Value != Kind)
        {
            return false;
        }
        string? jobText = null, documentId = null, traceParent = null, traceState = null;
        foreach (var field in fields)
        {
            switch ((string?)field.Name)
            {
                case JobIdField: jobText = (string?)field.Value; break;
                case DocumentIdField: documentId = (string?)field.Value; break;
                case TraceParentField: traceParent = (string?)field.Value; break;
                case TraceStateField: traceState = (string?)field.Value; break;
            }
        }
        if (Guid.TryParse(jobText, out var jobId) && !string.IsNullOrEmpty(documentId))
        {
            message = new DeleteDocumentMessage(jobId, documentId,
                string.IsNullOrEmpty(traceParent) ? null : traceParent, string.IsNullOrEmpty(traceState) ? null : traceState);
        }
        return true;
    }
}
