using System.Diagnostics;
using Microsoft.Extensions.Options;
using Shield.Ingestion;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;
using Shield.Workers.Processing;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Takes one stream entry from delivered to acknowledged: marks the job started, runs the processor with a
/// timeout and retries, records the outcome once, dead-letters what used up its attempts, then XACKs.
/// Anything that throws out of here leaves the entry pending, to be claimed again later: nothing is dropped.
/// </summary>
public sealed partial class ChunkHandler(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    RetrySchedule retries,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<ChunkHandler> logger)
{
    private readonly WorkerOptions _options = options.Value;

    /// <summary>Handles one entry. Returns false when shutdown cut it short and it was left pending.</summary>
    public async Task<bool> HandleAsync(StreamEntry entry, string consumer, CancellationToken drainToken)
    {
        var message = ChunkMessage.FromStreamEntry(entry, out var problem);
        if (message is null)
        {
            // Unreadable entries cannot be processed however often they are retried: keep them, visibly.
            await DeadLetterAsync(entry.Id, entry.Values ?? [], problem!, attempts: 1);
            await AcknowledgeAsync(entry.Id);
            LogMalformedEntry(entry.Id.ToString(), problem!);
            return true;
        }

        using var activity = IngestionTelemetry.StartProcess(message, entry.Id.ToString(), consumer);
        await using var scope = scopes.CreateAsyncScope();
        var jobs = scope.ServiceProvider.GetRequiredService<JobStore>();
        var processor = scope.ServiceProvider.GetRequiredService<IChunkProcessor>();

        // One round trip: skip a cancelled job's chunk, otherwise mark the job started (first chunk only).
        var start = ChunkStart.Continued;
        if (!await ThroughOutagesAsync(async () => start = await jobs.BeginChunkAsync(message.JobId, drainToken), entry.Id, consumer, drainToken))
        {
            return false;
        }
        if (start == ChunkStart.Cancelled)
        {
            await AcknowledgeAsync(entry.Id);
            LogSkippedCancelled(message.JobId, message.ChunkIndex);
            return true;
        }

        var started = time.GetTimestamp();
        string? error = null;
        for (var outageWaits = 1; ; outageWaits++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(drainToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            try
            {
                await processor.ProcessAsync(message, timeout.Token);
                break;
            }
            catch (OperationCanceledException) when (drainToken.IsCancellationRequested)
            {
                LogLeftPending(message.JobId, message.ChunkIndex, entry.Id.ToString());
                return false;
            }
            catch (Exception ex) when (!timeout.IsCancellationRequested && DependencyOutage.IsOutage(ex))
            {
                // PostgreSQL or Redis is unreachable: that is not the chunk's fault, so it costs no attempt.
                // Hold the entry, keep it claimed, and try again once the dependency answers.
                LogOutage(ex, message.JobId, message.ChunkIndex);
                if (!await WaitOutOutageAsync(entry.Id, consumer, outageWaits, drainToken))
                {
                    return false;
                }
            }
            catch (Exception ex)
            {
                error = timeout.IsCancellationRequested
                    ? $"Timed out after {_options.TimeoutSeconds} s"
                    : $"{ex.GetType().Name}: {ex.Message}";
                LogAttemptFailed(ex, message.JobId, message.ChunkIndex, message.Attempt, _options.RetryAttempts);
                WorkerTelemetry.AttemptsFailed.Add(1);
                break;
            }
        }

        if (error is not null && message.Attempt < _options.RetryAttempts)
        {
            // The next attempt waits in the retry schedule, not in this consumer, which moves on to other chunks.
            var due = time.GetUtcNow() + Backoff(message.Attempt);
            var next = message with { Attempt = message.Attempt + 1, RetryOf = activity?.Id };
            if (!await ThroughOutagesAsync(() => retries.ScheduleAsync(entry.Id, next, due), entry.Id, consumer, drainToken))
            {
                return false;
            }
            WorkerTelemetry.ChunksRetried.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, error);
            return true;
        }

        var succeeded = error is null;
        if (!succeeded)
        {
            await DeadLetterAsync(entry.Id, entry.Values!, error!, message.Attempt);
            WorkerTelemetry.ChunksDeadLettered.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, error);
        }

        ChunkOutcome? outcome = null;
        if (!await ThroughOutagesAsync(async () =>
            {
                // The outcome script acknowledges the entry itself unless this finished the job; then the ack comes
                // here, after RecordOutcomeAsync wrote the finished job to PostgreSQL.
                outcome = await jobs.RecordOutcomeAsync(message.JobId, message.ChunkIndex, succeeded, error,
                    TimeSpan.FromSeconds(_options.JobStatusTtl), CancellationToken.None, acknowledge: entry.Id);
                if (!outcome.Acknowledged)
                {
                    await AcknowledgeAsync(entry.Id);
                }
            }, entry.Id, consumer, drainToken))
        {
            return false;
        }

        if (succeeded && outcome!.Disposition == OutcomeDisposition.Recorded)
        {
            WorkerTelemetry.ChunksProcessed.Add(1);
            WorkerTelemetry.ChunkDuration.Record(time.GetElapsedTime(started).TotalSeconds);
        }
        switch (outcome!.Disposition)
        {
            case OutcomeDisposition.Duplicate:
                LogDuplicate(message.JobId, message.ChunkIndex);
                break;
            case OutcomeDisposition.UnknownJob:
                LogUnknownJob(message.JobId, message.ChunkIndex);
                break;
            case OutcomeDisposition.Recorded when outcome.Terminal:
                LogJobFinished(message.JobId, outcome.Status, outcome.ChunksProcessed, outcome.ChunksFailed, outcome.ChunksTotal);
                await RecordJobDurationAsync(message.JobId, outcome.Status);
                break;
        }
        return true;
    }

    /// <summary>Only the consumer that finished a job records its duration, from the acceptance time in its hash.</summary>
    private async Task RecordJobDurationAsync(Guid jobId, string status)
    {
        try
        {
            if (await redis.GetDatabase().HashGetAsync(JobKeys.Hash(jobId), "created_at_ms") is { IsNull: false } created
                && long.TryParse(created.ToString(), out var createdMs))
            {
                var seconds = (time.GetUtcNow().ToUnixTimeMilliseconds() - createdMs) / 1000.0;
                WorkerTelemetry.JobDuration.Record(seconds, new KeyValuePair<string, object?>("status", status));
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // A metric is not worth failing or delaying a chunk over.
        }
    }

    /// <summary>
    /// An entry claimed from a dead consumer after more deliveries than attempts allow: it is not run again but
    /// dead-lettered and counted failed, so its job can still finish.
    /// </summary>
    public async Task DeadLetterAbandonedAsync(StreamEntry entry, int deliveries)
    {
        var error = $"Delivered {deliveries} times without finishing: its worker died or hung each time";
        await DeadLetterAsync(entry.Id, entry.Values ?? [], error, deliveries);
        if (ChunkMessage.FromStreamEntry(entry, out _) is { } message)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<JobStore>().RecordOutcomeAsync(message.JobId, message.ChunkIndex,
                succeeded: false, error, TimeSpan.FromSeconds(_options.JobStatusTtl), CancellationToken.None);
            LogPoison(message.JobId, message.ChunkIndex, deliveries);
        }
        WorkerTelemetry.ChunksDeadLettered.Add(1);
        await AcknowledgeAsync(entry.Id);
    }

    /// <summary>Runs a bookkeeping step, waiting out dependency outages instead of abandoning the entry to a reclaim.</summary>
    private async Task<bool> ThroughOutagesAsync(Func<Task> step, RedisValue entryId, string consumer, CancellationToken drainToken)
    {
        for (var wait = 1; ; wait++)
        {
            try
            {
                await step();
                return true;
            }
            catch (Exception ex) when (DependencyOutage.IsOutage(ex) || ex is RedisTimeoutException)
            {
                LogBookkeepingOutage(ex, entryId.ToString());
                if (!await WaitOutOutageAsync(entryId, consumer, wait, drainToken))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Waits (1 s, doubling to 15 s by <paramref name="wait"/>) while refreshing the claim on the entry, so no other
    /// consumer takes it over as abandoned during a long outage. False when shutdown's deadline came first.
    /// </summary>
    private async Task<bool> WaitOutOutageAsync(RedisValue entryId, string consumer, int wait, CancellationToken drainToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(15, Math.Pow(2, Math.Min(wait - 1, 4)))), time, drainToken)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await redis.GetDatabase().StreamClaimIdsOnlyAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, consumer, 0, [entryId]);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis itself is the outage; the claim is refreshed on a later wait.
        }
        return !drainToken.IsCancellationRequested;
    }

    /// <summary>Exponential backoff with jitter: 0.5 s, 1 s, 2 s … (capped at 30 s), each scaled by a random 50–100 %.</summary>
    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, attempt - 1)) * (0.5 + Random.Shared.NextDouble() / 2));

    public Task AcknowledgeAsync(RedisValue entryId) =>
        redis.GetDatabase().StreamAcknowledgeAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, entryId);

    /// <summary>Keeps the original fields, the error and the attempt count, so the chunk can be re-queued as it was.</summary>
    public async Task DeadLetterAsync(RedisValue entryId, NameValueEntry[] fields, string error, int attempts)
    {
        var entry = new List<NameValueEntry>(fields)
        {
            new(IngestionStream.DeadLetterFields.Error, error),
            new(IngestionStream.DeadLetterFields.Attempts, attempts),
            new(IngestionStream.DeadLetterFields.OriginalId, entryId),
            new(IngestionStream.DeadLetterFields.FailedAt, time.GetUtcNow().ToString("O")),
        };
        await redis.GetDatabase().StreamAddAsync(IngestionStream.DeadLetterKey, [.. entry]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped chunk {ChunkIndex} of cancelled job {JobId}")]
    private partial void LogSkippedCancelled(Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Chunk {ChunkIndex} of job {JobId} was delivered {Deliveries} times without finishing; dead-lettered")]
    private partial void LogPoison(Guid jobId, int chunkIndex, int deliveries);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream entry {EntryId} is not a chunk message ({Problem}); dead-lettered")]
    private partial void LogMalformedEntry(string entryId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dependency is unreachable while recording entry {EntryId}; waiting for it")]
    private partial void LogBookkeepingOutage(Exception exception, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dependency is unreachable while processing chunk {ChunkIndex} of job {JobId}; waiting for it without using an attempt")]
    private partial void LogOutage(Exception exception, Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk {ChunkIndex} of job {JobId} failed attempt {Attempt} of {Attempts}")]
    private partial void LogAttemptFailed(Exception exception, Guid jobId, int chunkIndex, int attempt, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown deadline reached: chunk {ChunkIndex} of job {JobId} (entry {EntryId}) left pending for another consumer")]
    private partial void LogLeftPending(Guid jobId, int chunkIndex, string entryId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chunk {ChunkIndex} of job {JobId} was already counted; acknowledged the repeat delivery")]
    private partial void LogDuplicate(Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk {ChunkIndex} belongs to job {JobId}, which Redis no longer knows; processed and acknowledged without counting")]
    private partial void LogUnknownJob(Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Status}: {Processed} processed, {Failed} failed of {Total}")]
    private partial void LogJobFinished(Guid jobId, string status, int processed, int failed, int total);
}
