using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Shield.Workers.Pool;

/// <summary>The Workers' activity source and meter, named so ServiceDefaults exports them.</summary>
public static class WorkerTelemetry
{
    public const string Name = "Shield";

    public static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> ChunksProcessed = Meter.CreateCounter<long>("shield.chunks.processed", description: "Chunks processed successfully");
    public static readonly Counter<long> ChunksRetried = Meter.CreateCounter<long>("shield.chunks.retried", description: "Failed attempts re-queued for a later attempt");
    public static readonly Counter<long> ChunksFailed = Meter.CreateCounter<long>("shield.chunks.failed", description: "Chunks dead-lettered after their last attempt");
    public static readonly Histogram<double> ChunkDuration = Meter.CreateHistogram<double>("shield.chunk.duration", unit: "s", description: "Time to process one chunk");
}
