using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Persistence;

namespace Shield.Ingestion.Jobs;

/// <summary>
/// Coalesces the PostgreSQL copy of running jobs' progress: instead of one UPDATE per chunk (a commit per chunk,
/// with every consumer of a job queueing on the same row lock, which capped the whole pool at about a thousand
/// chunks per second), the latest counts of each job are written once per <see cref="FlushInterval"/>.
/// <para>
/// Only non-terminal progress goes through here; a job's terminal state is still written before its last entry is
/// acknowledged (see <see cref="JobStore.RecordOutcomesAsync"/>). What a crash can lose is therefore at most the
/// last interval of a running job's progress in the PostgreSQL copy, never a finished job's outcome. It is
/// recovered without any replay: Redis holds the authoritative counts and every write is absolute (GREATEST), so
/// the next outcome any worker records for the job, or its terminal write, brings the row up to date.
/// </para>
/// </summary>
public sealed partial class DurableProgressWriter(
    IServiceScopeFactory scopes,
    ILogger<DurableProgressWriter> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<Guid, Progress> _pending = new();

    /// <summary>Released when progress arrives while none was waiting: an idle process does not wake at all.</summary>
    private readonly SemaphoreSlim _arrived = new(0, 1);
    private int _signalled;

    /// <summary>A job's latest progress, merged so that counts and timestamps only move forward.</summary>
    public sealed record Progress(int ChunksProcessed, int ChunksFailed, string Status, DateTimeOffset StartedAt, string? Error)
    {
        public Progress Merge(Progress newer) => new(
            Math.Max(ChunksProcessed, newer.ChunksProcessed),
            Math.Max(ChunksFailed, newer.ChunksFailed),
            JobStatus.IsTerminal(Status) ? Status : newer.Status,
            StartedAt <= newer.StartedAt ? StartedAt : newer.StartedAt,
            Error ?? newer.Error);
    }

    /// <summary>Queues the job's progress for the next flush (merged with anything still queued for it).</summary>
    public void Enqueue(Guid jobId, Progress progress)
    {
        _pending.AddOrUpdate(jobId, progress, (_, queued) => queued.Merge(progress));
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _arrived.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                // Sleep until something is queued, then let a flush interval's worth of progress gather.
                await _arrived.WaitAsync(stoppingToken);
                await Task.Delay(FlushInterval, stoppingToken);
                // Cleared before the flush: progress queued from here on signals the next round.
                Volatile.Write(ref _signalled, 0);
                await FlushAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override void Dispose()
    {
        _arrived.Dispose();
        base.Dispose();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // The worker pool stops first (it is registered after this service); what it queued last is written now.
        await FlushAsync(cancellationToken);
    }

    /// <summary>Writes every queued job's progress; on failure it stays queued for the next tick.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pending.IsEmpty)
        {
            return;
        }
        var batch = new List<(Guid JobId, Progress Progress)>();
        foreach (var jobId in _pending.Keys)
        {
            if (_pending.TryRemove(jobId, out var progress))
            {
                batch.Add((jobId, progress));
            }
        }
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
            foreach (var (jobId, p) in batch)
            {
                await JobStore.WriteDurableCopyAsync(db, jobId, p.ChunksProcessed, p.ChunksFailed, p.Status, p.StartedAt,
                    completedAt: null, p.Error, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            foreach (var (jobId, progress) in batch)
            {
                Enqueue(jobId, progress);
            }
            LogFlushFailed(ex, batch.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the progress of {Count} jobs to PostgreSQL; retrying at the next flush")]
    private partial void LogFlushFailed(Exception exception, int count);
}
