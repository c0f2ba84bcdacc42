using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Shield.Workers.Pool;

/// <summary>The Workers' activity source and meter, named so ServiceDefaults exports them.</summary>
public static class WorkerTelemetry
{
    public const string Name = "Shield";

    /// <summary>The same source as the chunk spans (<see cref="Shield.Ingestion.IngestionTelemetry"/>), so stages nest under them.</summary>
    public static ActivitySource ActivitySource => Shield.Ingestion.IngestionTelemetry.ActivitySource;

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> ChunksProcessed = Meter.CreateCounter<long>("shield.chunks.processed", description: "Chunks processed successfully");
    public static readonly Counter<long> ChunksRetried = Meter.CreateCounter<long>("shield.chunks.retried", description: "Failed attempts re-queued for a later attempt");
    public static readonly Counter<long> AttemptsFailed = Meter.CreateCounter<long>("shield.chunks.failed", description: "Failed attempts (errors and timeouts), whether retried or dead-lettered");
    public static readonly Counter<long> ChunksDeadLettered = Meter.CreateCounter<long>("shield.chunks.dead_lettered", description: "Chunks dead-lettered after their last attempt");
    public static readonly Counter<long> ChunksReused = Meter.CreateCounter<long>("shield.chunks.reused",
        description: "Chunks whose text was already stored under the same settings: processed without a model call or an embedding");
    public static readonly Counter<long> Finalizations = Meter.CreateCounter<long>("shield.jobs.finalized",
        description: "Job finalisations run (summaries and vectors of what a job changed); a repeated one is counted again");
    public static readonly Counter<long> ElementsFinalized = Meter.CreateCounter<long>("shield.graph.finalized",
        description: "Nodes and edges written by a job's finalisation, by kind (entity, relationship) and whether it was summarised");
    public static readonly Counter<long> SummariesAsked = Meter.CreateCounter<long>("shield.graph.summaries",
        description: "Summaries a finalisation asked for, by the rule that asked (job: the job brought 8 descriptions; length: the description passed 1,200 tokens)");
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("shield.job.duration", unit: "s", description: "Time from a job's acceptance to its terminal state");

    private static long _queueDepth;
    private static long _pendingEntries;
    private static long _consumerLag;

    /// <summary>The consumer group's figures, as last sampled by the heartbeat (observed, not polled per export).</summary>
    public static void RecordQueue(long depth, long pending, long lag)
    {
        Interlocked.Exchange(ref _queueDepth, depth);
        Interlocked.Exchange(ref _pendingEntries, pending);
        Interlocked.Exchange(ref _consumerLag, lag);
    }

    private static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge("shield.queue.depth", () => Interlocked.Read(ref _queueDepth),
        description: "Entries in the ingestion stream");
    private static readonly ObservableGauge<long> PendingEntries = Meter.CreateObservableGauge("shield.queue.pending", () => Interlocked.Read(ref _pendingEntries),
        description: "Entries delivered to a consumer and not yet acknowledged");
    private static readonly ObservableGauge<long> ConsumerLag = Meter.CreateObservableGauge("shield.queue.lag", () => Interlocked.Read(ref _consumerLag),
        description: "Entries not yet delivered to the consumer group");
    public static readonly Histogram<double> ChunkDuration = Meter.CreateHistogram<double>("shield.chunk.duration", unit: "s", description: "Time to process one chunk");
    public static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("shield.pipeline.stage.duration", unit: "s",
        description: "Time of one pipeline stage of one chunk (store chunk, extract, merge graph, embed, write vectors)");
}
