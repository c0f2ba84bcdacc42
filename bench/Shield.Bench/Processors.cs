using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
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

/// <summary>
/// <c>delay</c>: I/O-bound work such as a model call: the chunk's task completes <c>delay_ms</c> after it started, as
/// a response arriving on a socket would. <c>--delay-timer task-delay</c> uses <c>Task.Delay</c> instead, which on
/// Linux runs on a 4 ms clock tick (measured here: <c>Task.Delay(4)</c> 4.2 ms, <c>Task.Delay(5)</c> 8.0 ms), so it
/// measures the runtime's timer rather than the queue.
/// </summary>
public sealed class DelayProcessor(int delayMs, bool useTaskDelay) : IChunkProcessor
{
    public async Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken)
    {
        if (useTaskDelay)
        {
            await Task.Delay(delayMs, cancellationToken);
        }
        else
        {
            await PreciseDelay.Shared.WaitAsync(TimeSpan.FromMilliseconds(delayMs), cancellationToken);
        }
        return new ChunkProcessingResult(chunk.ChunkId, 0);
    }
}

/// <summary>
/// Completes waits at their due time to within a fraction of a millisecond: one thread keeps the pending waits in
/// due order and sleeps until the earliest, the last millisecond with nanosleep rather than the runtime's ticking
/// timer queue.
/// </summary>
public sealed partial class PreciseDelay
{
    public static readonly PreciseDelay Shared = new();

    private readonly PriorityQueue<TaskCompletionSource, long> _due = new();
    private readonly Lock _lock = new();
    private readonly AutoResetEvent _changed = new(false);

    private PreciseDelay()
    {
        new Thread(Run) { IsBackground = true, Name = "bench precise delay" }.Start();
    }

    public async Task WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _due.Enqueue(done, Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));
        }
        _changed.Set();
        // Cancelling completes the same task (no wrapper task, so no extra continuation between due and resumed).
        await using var _ = cancellationToken.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetCanceled(), done);
        await done.Task;
    }

    private void Run()
    {
        while (true)
        {
            long wait;
            lock (_lock)
            {
                var now = Stopwatch.GetTimestamp();
                while (_due.TryPeek(out var done, out var due) && due <= now)
                {
                    _due.Dequeue();
                    done.TrySetResult();
                }
                wait = _due.TryPeek(out _, out var next) ? next - now : -1;
            }
            var nanoseconds = wait * 1_000_000_000 / Stopwatch.Frequency;
            if (wait < 0)
            {
                _changed.WaitOne();
            }
            else if (nanoseconds >= 2_000_000)
            {
                // Woken early by a new wait, which may be due sooner; the last one to two milliseconds are slept
                // precisely below.
                _changed.WaitOne((int)(nanoseconds / 1_000_000) - 1);
            }
            else if (!OperatingSystem.IsWindows())
            {
                var request = new TimeSpec { Seconds = 0, Nanoseconds = nanoseconds };
                _ = NanoSleep(ref request, IntPtr.Zero);
            }
            else
            {
                Thread.Sleep(1);
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "nanosleep")]
    private static partial int NanoSleep(ref TimeSpec request, IntPtr remaining);
}

/// <summary>Times the embedded pipeline's extraction step.</summary>
public sealed class TimedExtractor(OfflineEntityExtractor inner, StageClock stages) : IEntityExtractor
{
    public string Description => inner.Description;

    public string Settings => inner.Settings;

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
