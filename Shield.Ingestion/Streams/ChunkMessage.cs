using StackExchange.Redis;

namespace Shield.Ingestion.Streams;

/// <summary>One chunk of one job, as it travels on <see cref="IngestionStream.Key"/>.</summary>
/// <param name="JobId">The job the chunk belongs to.</param>
/// <param name="ChunkIndex">Position of the chunk in the submission; a job counts each index once.</param>
/// <param name="ChunkId">Content address of the chunk (<c>chunk-</c> + MD5 of the text), as LightRAG names chunks.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="SourceUri">Where the text came from.</param>
/// <param name="SourceType">The submission's source type.</param>
/// <param name="MetadataJson">Chunk metadata merged over the submission's metadata, as a JSON object.</param>
/// <param name="TraceParent">W3C <c>traceparent</c> of the request that accepted the chunk, when there was one.</param>
/// <param name="Attempt">Which attempt this entry is: a failed chunk is re-queued as a new entry with the next number.</param>
/// <param name="TraceState">W3C <c>tracestate</c> that travels with <paramref name="TraceParent"/>.</param>
/// <param name="RetryOf">W3C <c>traceparent</c> of the failed attempt's span, so a retry's span links to it.</param>
public sealed record ChunkMessage(
    Guid JobId,
    int ChunkIndex,
    string ChunkId,
    string Text,
    string SourceUri,
    string SourceType,
    string MetadataJson,
    string? TraceParent = null,
    int Attempt = 1,
    string? TraceState = null,
    string? RetryOf = null)
{
    private const string JobIdField = "job_id";
    private const string ChunkIndexField = "chunk_index";
    private const string ChunkIdField = "chunk_id";
    private const string TextField = "content";
    private const string SourceUriField = "source_uri";
    private const string SourceTypeField = "source_type";
    private const string MetadataField = "metadata";
    private const string TraceParentField = "traceparent";
    private const string TraceStateField = "tracestate";
    private const string RetryOfField = "retry_of";
    public const string AttemptField = "attempt";

    public NameValueEntry[] ToStreamFields()
    {
        var fields = new List<NameValueEntry>(8)
        {
            new(JobIdField, JobId.ToString()),
            new(ChunkIndexField, ChunkIndex),
            new(ChunkIdField, ChunkId),
            new(TextField, Text),
            new(SourceUriField, SourceUri),
            new(SourceTypeField, SourceType),
            new(MetadataField, MetadataJson),
        };
        if (TraceParent is not null)
        {
            fields.Add(new(TraceParentField, TraceParent));
        }
        if (!string.IsNullOrEmpty(TraceState))
        {
            fields.Add(new(TraceStateField, TraceState));
        }
        if (Attempt > 1)
        {
            fields.Add(new(AttemptField, Attempt));
        }
        if (RetryOf is not null)
        {
            fields.Add(new(RetryOfField, RetryOf));
        }
        return [.. fields];
    }

    /// <summary>Reads an entry back; returns null (with the reason) for an entry that is not a chunk message.</summary>
    public static ChunkMessage? FromStreamEntry(StreamEntry entry, out string? problem)
    {
        problem = null;
        if (entry.IsNull || entry.Values is null)
        {
            problem = "the entry has no fields (it was deleted from the stream)";
            return null;
        }

        // One pass, each name turned into a string once: comparing RedisValues with strings field by field (which
        // tries them as numbers first) was a third of a worker's CPU per chunk at high rates.
        string? jobText = null, indexText = null, chunkId = null, text = null, sourceUri = null, sourceType = null,
            metadata = null, traceParent = null, attemptText = null, traceState = null, retryOf = null;
        foreach (var field in entry.Values)
        {
            if (field.Value.IsNull)
            {
                continue;
            }
            switch ((string?)field.Name)
            {
                case JobIdField: jobText = (string?)field.Value; break;
                case ChunkIndexField: indexText = (string?)field.Value; break;
                case ChunkIdField: chunkId = (string?)field.Value; break;
                case TextField: text = (string?)field.Value; break;
                case SourceUriField: sourceUri = (string?)field.Value; break;
                case SourceTypeField: sourceType = (string?)field.Value; break;
                case MetadataField: metadata = (string?)field.Value; break;
                case TraceParentField: traceParent = (string?)field.Value; break;
                case AttemptField: attemptText = (string?)field.Value; break;
                case TraceStateField: traceState = (string?)field.Value; break;
                case RetryOfField: retryOf = (string?)field.Value; break;
            }
        }

        if (!Guid.TryParse(jobText, out var jobId))
        {
            problem = $"field '{JobIdField}' is missing or not a UUID";
            return null;
        }
        if (!int.TryParse(indexText, out var index) || index < 0)
        {
            problem = $"field '{ChunkIndexField}' is missing or not a non-negative integer";
            return null;
        }
        if (text is null)
        {
            problem = $"field '{TextField}' is missing";
            return null;
        }

        return new ChunkMessage(
            jobId,
            index,
            chunkId ?? ChunkIds.ForContent(text),
            text,
            sourceUri ?? "",
            sourceType ?? "",
            metadata ?? "{}",
            traceParent,
            int.TryParse(attemptText, out var attempt) && attempt > 1 ? attempt : 1,
            traceState,
            retryOf);
    }
}
