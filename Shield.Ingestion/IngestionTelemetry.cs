using System.Diagnostics;
using Shield.Ingestion.Streams;

namespace Shield.Ingestion;

/// <summary>
/// Spans and names shared by the Api (which publishes chunks) and the Workers (which process them), following
/// OpenTelemetry's messaging conventions. The source is named <c>Shield</c>, which ServiceDefaults exports.
/// </summary>
public static class IngestionTelemetry
{
    public const string Name = "Shield";

    public static readonly ActivitySource ActivitySource = new(Name);

    /// <summary>The producer span around enqueueing a job's chunks.</summary>
    public static Activity? StartPublish(Guid jobId, int chunks)
    {
        var activity = ActivitySource.StartActivity($"send {IngestionStream.Key}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.operation.name", "XADD");
        activity?.SetTag("messaging.destination.name", IngestionStream.Key);
        activity?.SetTag("messaging.batch.message_count", chunks);
        activity?.SetTag("shield.job_id", jobId.ToString());
        return activity;
    }

    /// <summary>
    /// The consumer span for one chunk: a child of the publish span carried in the entry, so the Api's request and
    /// every chunk's work form one trace. A retry also links to the failed attempt's span.
    /// </summary>
    public static Activity? StartProcess(ChunkMessage message, string entryId, string consumer)
    {
        ActivityLink[]? links = message.RetryOf is not null && ActivityContext.TryParse(message.RetryOf, null, out var failed)
            ? [new ActivityLink(failed, new ActivityTagsCollection { ["shield.link"] = "retry of the failed attempt" })]
            : null;
        var activity = StartConsumer($"process {IngestionStream.Key}", message.JobId, message.TraceParent, message.TraceState, entryId, consumer, links);
        activity?.SetTag("shield.chunk_index", message.ChunkIndex);
        activity?.SetTag("shield.attempt", message.Attempt);
        return activity;
    }

    /// <summary>
    /// The consumer span of a job's finalisation: a child of the job's publish span, like its chunks, so the job's
    /// trace ends with its summaries and vectors.
    /// </summary>
    public static Activity? StartFinalize(FinalizeMessage message, string entryId, string consumer) =>
        StartConsumer("finalize job", message.JobId, message.TraceParent, message.TraceState, entryId, consumer);

    /// <summary>The consumer span of a document's deletion: the whole of its job, under the DELETE request's publish span.</summary>
    public static Activity? StartDeletion(DeleteDocumentMessage message, string entryId, string consumer)
    {
        var activity = StartConsumer("delete document", message.JobId, message.TraceParent, message.TraceState, entryId, consumer);
        activity?.SetTag("shield.document_id", message.DocumentId);
        return activity;
    }

    /// <summary>A consumer span for one stream entry (a chunk, a finalisation, a deletion), under the span that published it.</summary>
    private static Activity? StartConsumer(string name, Guid jobId, string? traceParent, string? traceState, string entryId, string consumer,
        IEnumerable<ActivityLink>? links = null)
    {
        ActivityContext.TryParse(traceParent, traceState, out var parent);
        var activity = ActivitySource.StartActivity(name, ActivityKind.Consumer, parent, links: links);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.operation.name", "XREADGROUP");
        activity?.SetTag("messaging.destination.name", IngestionStream.Key);
        activity?.SetTag("messaging.consumer.group.name", IngestionStream.ConsumerGroup);
        activity?.SetTag("messaging.message.id", entryId);
        activity?.SetTag("messaging.client.id", consumer);
        activity?.SetTag("shield.job_id", jobId.ToString());
        return activity;
    }
}
