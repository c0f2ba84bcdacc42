using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Shield.Ingestion.Streams;
using Shield.Knowledge;
using Shield.Workers.Extraction;
using Shield.Workers.Processing;

namespace Shield.Bench;

/// <summary>Per-stage time of the embedded pipeline, summed over all chunks.</summary>
public sealed class StageClock
{
    private readonly ConcurrentDictionary<string, long> _ticks = new();

    public async Task<T> TimeAsync<T>(string stage, Func<Task<T>> work)
    {
        var start = Stopwatch.GetTimestamp();
        try { return await work(); }
        finally { _ticks.AddOrUpdate(stage, Stopwatch.GetTimestamp() - start, (_, t) => t + Stopwatch.GetTimestamp() - start); }
    }

    public async Task TimeAsync(string stage, Func<Task> work) =>
        await TimeAsync(stage, async () => { await work(); return 0; });

    public Dictionary<string, double> TakeMilliseconds()
    {
        var result = _ticks.ToDictionary(kv => kv.Key, kv => kv.Value * 1000.0 / Stopwatch.Frequency);
        _ticks.Clear();
        return result;
    }
}

/// <summary>Wraps the workload's processor: marks processing start and end for the probe.</summary>
public sealed class ProbedProcessor(IChunkProcessor inner, Probe probe, StageClock stages) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        probe.ProcessingStarted(chunk.JobId, chunk.ChunkIndex);
        try
        {
            return await stages.TimeAsync("process", () => inner.ProcessAsync(chunk, cancellationToken));
        }
        finally
        {
            probe.ProcessingEnded(chunk.JobId, chunk.ChunkIndex);
        }
    }
}

/// <summary><c>noop</c>: nothing to do, so everything measured is the queue's own overhead.</summary>
public sealed class NoopProcessor : IChunkProcessor
{
    public Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken) =>
        Task.FromResult(new ChunkProcessingResult(chunk.ChunkId, 0));
}

/// <summary><c>delay</c>: I/O-bound work such as a model call, as a fixed wait.</summary>
public sealed class DelayProcessor(int delayMs) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        await Task.Delay(delayMs, cancellationToken);
        return new ChunkProcessingResult(chunk.ChunkId, 0);
    }
}

/// <summary>Times the embedded pipeline's extraction step.</summary>
public sealed class TimedExtractor(OfflineEntityExtractor inner, StageClock stages) : IEntityExtractor
{
    public string Description => inner.Description;

    public Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken) =>
        stages.TimeAsync("extract", () => inner.ExtractAsync(chunkId, text, cancellationToken));
}

/// <summary>Times the embedding step (including the wait for the process-wide inference gate).</summary>
public sealed class TimedEmbeddings(MiniLmEmbeddingGenerator inner, StageClock stages) : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        stages.TimeAsync("embed", () => inner.GenerateAsync(values, options, cancellationToken));

    public object? GetService(Type serviceType, object? serviceKey = null) => inner.GetService(serviceType, serviceKey);

    public void Dispose()
    {
    }
}

/// <summary>Times the vector writes.</summary>
public sealed class TimedVectorStore(PostgresVectorStore inner, StageClock stages) : IVectorStore
{
    public string Description => inner.Description;

    public Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken) =>
        stages.TimeAsync("vectors", () => inner.UpsertAsync(collection, points, cancellationToken));

    public Task<IReadOnlyList<VectorMatch>> SearchAsync(string collection, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken) =>
        inner.SearchAsync(collection, query, topK, cancellationToken);

    public Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        stages.TimeAsync("vectors", () => inner.DeleteAsync(collection, ids, cancellationToken));
}
