using System.Diagnostics;
using Microsoft.Extensions.Options;
using Shield.Ingestion;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;
using Shield.Workers.Documents;
using Shield.Workers.Processing;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Takes a consumer's batch of stream entries from delivered to acknowledged: checks the batch's jobs for cancellation
/// and marks them started (one round trip), runs each chunk with a timeout and retries, hands its outcome to the
/// <see cref="OutcomeRecorder"/> (which counts it once and acknowledges the entry) and dead-letters what used up its
/// attempts. Anything that throws out of here leaves the entry pending, to be claimed again later: nothing is dropped.
/// </summary>
public sealed partial class ChunkHandler(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    RetrySchedule retries,
    OutcomeRecorder recorder,
    RecentJobStarts jobStarts,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<ChunkHandler> logger)
{
    private readonly WorkerOptions _options = options.Value;

    /// <summary>
    /// Handles a batch in order. Each handled chunk's outcome is recorded in the background; the task that completes
    /// when it is recorded and acknowledged goes into <paramref name="recordings"/>, which the consumer awaits before
    /// it retires. Returns how many entries it got through (fewer than the batch when shutdown's deadline cut it
    /// short, and the rest stays pending for another consumer) and how many of them it ran (not skipped).
    /// </summary>
    public async Task<(int Handled, int Run)> HandleBatchAsync(StreamEntry[] entries, string consumer, ICollection<Task> recordings,
        CancellationToken drainToken)
    {
        var run = 0;
        var messages = new ChunkMessage?[entries.Length];
        var finalizations = new FinalizeMessage?[entries.Length];
        var deletions = new DeleteDocumentMessage?[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            if (FinalizeMessage.TryRead(entries[i], out finalizations[i]))
            {
                if (finalizations[i] is null)
                {
                    await DeadLetterAsync(entries[i].Id, entries[i].Values ?? [], "a finalisation entry without a job id", attempts: 1);
                    await AcknowledgeAsync(entries[i].Id);
                    LogMalformedEntry(entries[i].Id.ToString(), "a finalisation entry without a job id");
                }
                continue;
            }
            if (DeleteDocumentMessage.TryRead(entries[i], out deletions[i]))
            {
                if (deletions[i] is null)
                {
                    await DeadLetterAsync(entries[i].Id, entries[i].Values ?? [], "a deletion entry without a job or document id", attempts: 1);
                    await AcknowledgeAsync(entries[i].Id);
                    LogMalformedEntry(entries[i].Id.ToString(), "a deletion entry without a job or document id");
                }
                continue;
            }
            messages[i] = ChunkMessage.FromStreamEntry(entries[i], out var problem);
            if (messages[i] is null)
            {
                // Unreadable entries cannot be processed however often they are retried: keep them, visibly.
                await DeadLetterAsync(entries[i].Id, entries[i].Values ?? [], problem!, attempts: 1);
                await AcknowledgeAsync(entries[i].Id);
                LogMalformedEntry(entries[i].Id.ToString(), problem!);
            }
        }

        for (var i = 0; i < entries.Length; i++)
        {
            if (finalizations[i] is { } finalization)
            {
                // A finalisation runs whatever the job's state (a cancelled job's merged chunks are finalised too).
                run++;
                if (!await FinalizeAsync(entries[i], finalization, consumer, drainToken))
                {
                    return (i, run);
                }
                continue;
            }
            if (deletions[i] is { } deletion)
            {
                run++;
                if (!await DeleteDocumentAsync(entries[i], deletion, consumer, drainToken))
                {
                    return (i, run);
                }
                continue;
            }
            if (messages[i] is not { } message)
            {
                continue;
            }
            if (!jobStarts.TryGetFresh(message.JobId, out var start))
            {
                if (await BeginJobsAsync(messages.AsMemory(i), entries.AsMemory(i), consumer, drainToken) is not { } begun)
                {
                    return (i, run);
                }
                start = begun;
            }
            if (start == ChunkStart.Cancelled)
            {
                await AcknowledgeAsync(entries[i].Id);
                LogSkippedCancelled(message.JobId, message.ChunkIndex);
                continue;
            }

            try
            {
                run++;
                if (await HandleAsync(entries[i], message, consumer, drainToken) is not { } recording)
                {
                    return (i, run);
                }
                recordings.Add(recording);
            }
            catch (Exception ex) when (!drainToken.IsCancellationRequested)
            {
                // Most likely Redis or PostgreSQL is unreachable; the entry stays pending and is claimed again once
                // idle past the task timeout, and the dedupe set makes the second run count once.
                LogHandlingFailed(ex, entries[i].Id.ToString(), consumer);
            }
        }
        return (entries.Length, run);
    }

    /// <summary>
    /// One round trip for the jobs of the rest of the batch that this process has not asked about within
    /// <see cref="RecentJobStarts.Lifetime"/>: which were cancelled (their chunks are skipped), and each job is marked
    /// started if this is its first chunk. Returns the answer for the first message's job, or null when shutdown's
    /// deadline came during an outage.
    /// </summary>
    private async Task<ChunkStart?> BeginJobsAsync(ReadOnlyMemory<ChunkMessage?> messages, ReadOnlyMemory<StreamEntry> entries,
        string consumer, CancellationToken drainToken)
    {
        var first = messages.Span[0]!.JobId;
        var jobIds = messages.ToArray().OfType<ChunkMessage>().Select(m => m.JobId).Distinct()
            .Where(id => id == first || !jobStarts.TryGetFresh(id, out _)).ToArray();
        ChunkStart? answer = null;
        var begun = await ThroughOutagesAsync(async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var checkedAt = time.GetTimestamp();
            var answers = await scope.ServiceProvider.GetRequiredService<JobStore>().BeginChunksAsync(jobIds, drainToken);
            for (var j = 0; j < jobIds.Length; j++) jobStarts.Remember(jobIds[j], answers[j], checkedAt);
            answer = answers[0];
        }, [.. entries.ToArray().Select(e => e.Id)], consumer, drainToken);
        return begun ? answer : null;
    }

    /// <summary>
    /// Runs one chunk. Returns the task that completes once its outcome is recorded (already complete when a retry was
    /// scheduled instead), or null when shutdown cut it short and it was left pending.
    /// </summary>
    private async Task<Task?> HandleAsync(StreamEntry entry, ChunkMessage message, string consumer, CancellationToken drainToken)
    {
        var previous = Activity.Current;
        var activity = IngestionTelemetry.StartProcess(message, entry.Id.ToString(), consumer);
        var activityHandedOff = false;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var processor = scope.ServiceProvider.GetRequiredService<IChunkProcessor>();
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
                    return null;
                }
                catch (Exception ex) when (!timeout.IsCancellationRequested && DependencyOutage.IsOutage(ex))
                {
                    // PostgreSQL or Redis is unreachable: that is not the chunk's fault, so it costs no attempt.
                    // Hold the entry, keep it claimed, and try again once the dependency answers.
                    LogOutage(ex, message.JobId, message.ChunkIndex);
                    if (!await PendingClaims.HoldAsync(redis, [(consumer, entry.Id)], outageWaits, time, drainToken))
                    {
                        return null;
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
                if (!await ThroughOutagesAsync(() => retries.ScheduleAsync(entry.Id, next, due), [entry.Id], consumer, drainToken))
                {
                    return null;
                }
                WorkerTelemetry.ChunksRetried.Add(1);
                activity?.SetStatus(ActivityStatusCode.Error, error);
                return Task.CompletedTask;
            }

            var succeeded = error is null;
            if (!succeeded)
            {
                await DeadLetterAsync(entry.Id, entry.Values!, error!, message.Attempt);
                WorkerTelemetry.ChunksDeadLettered.Add(1);
                activity?.SetStatus(ActivityStatusCode.Error, error);
            }

            // The consumer moves on while the outcome is recorded; the chunk's span ends when it is.
            var recording = recorder.RecordAsync(new ChunkOutcomeToRecord(message.JobId, message.ChunkIndex, succeeded, error, entry.Id),
                consumer, activity);
            activityHandedOff = true;
            return FinishAsync(recording, activity, message, succeeded, started);
        }
        finally
        {
            if (!activityHandedOff)
            {
                activity?.Dispose();
            }
            // The consumer's next chunk must not become a child of this one.
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// Runs a job's finalisation and then ends the job (<see cref="JobStore.EndAsync"/>), and only then acknowledges the
    /// entry: a crash in between redelivers it, and the repeat finds the work done. The entry's claim is refreshed while
    /// it runs, however long that is, so it is never taken over as abandoned. Outages are waited out; a finalisation
    /// that fails <see cref="WorkerOptions.RetryAttempts"/> times ends the job failed, with the reason.
    /// Returns false when shutdown's deadline cut it short (the entry stays pending for another consumer).
    /// </summary>
    private async Task<bool> FinalizeAsync(StreamEntry entry, FinalizeMessage message, string consumer, CancellationToken drainToken)
    {
        var previous = Activity.Current;
        using var activity = IngestionTelemetry.StartFinalize(message, entry.Id.ToString(), consumer);
        try
        {
            return await RunJobStepAsync(entry, message.JobId, "The finalisation (summaries and vectors)", activity, consumer,
                async (services, token) =>
                {
                    await services.GetRequiredService<Finalization.JobFinalizer>().FinalizeAsync(message.JobId, token);
                    WorkerTelemetry.Finalizations.Add(1);
                },
                beforeEnd: null, drainToken);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// A document's deletion (<see cref="DeleteDocumentMessage"/>, queued by the Api's <c>DELETE /documents/{id}</c>):
    /// the whole deletion job in one entry, run like a finalisation (at least once, idempotent, its claim kept, outages
    /// waited out, <see cref="WorkerOptions.RetryAttempts"/> failures end it failed). The document row goes just before the
    /// job ends completed; a failed deletion leaves the document <c>failed</c>, saying why, to be deleted again.
    /// </summary>
    private async Task<bool> DeleteDocumentAsync(StreamEntry entry, DeleteDocumentMessage message, string consumer, CancellationToken drainToken)
    {
        var previous = Activity.Current;
        using var activity = IngestionTelemetry.StartDeletion(message, entry.Id.ToString(), consumer);
        try
        {
            return await RunJobStepAsync(entry, message.JobId, $"The deletion of {message.DocumentId}", activity, consumer,
                (services, token) => services.GetRequiredService<DocumentDeletionJob>().RunAsync(message.JobId, message.DocumentId, token),
                (services, failure) => services.GetRequiredService<DocumentDeletionJob>().SettleAsync(message.JobId, message.DocumentId, failure, CancellationToken.None),
                drainToken);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// Runs a job's one long step (a finalisation, a deletion) and then ends the job, before the entry is acknowledged:
    /// a crash in between redelivers it, and the repeat finds the work done. The entry's claim is refreshed while the
    /// step runs, however long that is, so it is never taken over as abandoned. Outages are waited out; a step that
    /// fails <see cref="WorkerOptions.RetryAttempts"/> times ends the job failed, with the reason.
    /// Returns false when shutdown's deadline cut it short (the entry stays pending for another consumer).
    /// </summary>
    /// <param name="beforeEnd">Runs just before the job ends, given the step's failure (null when it succeeded), so that
    /// a client who sees the job ended sees what it settled; it must be idempotent.</param>
    private async Task<bool> RunJobStepAsync(StreamEntry entry, Guid jobId, string step, Activity? activity, string consumer,
        Func<IServiceProvider, CancellationToken, Task> work, Func<IServiceProvider, string?, Task>? beforeEnd, CancellationToken drainToken)
    {
        using var keepClaimed = CancellationTokenSource.CreateLinkedTokenSource(drainToken);
        var claims = KeepClaimedAsync(entry.Id, consumer, keepClaimed.Token);
        string? failure = null;
        try
        {
            for (int attempt = 1, outageWaits = 1; ; )
            {
                await using var scope = scopes.CreateAsyncScope();
                try
                {
                    await work(scope.ServiceProvider, drainToken);
                    break;
                }
                catch (OperationCanceledException) when (drainToken.IsCancellationRequested)
                {
                    LogJobStepLeftPending(step, jobId, entry.Id.ToString());
                    return false;
                }
                catch (Exception ex) when (DependencyOutage.IsOutage(ex))
                {
                    LogJobStepOutage(ex, step, jobId);
                    if (!await PendingClaims.HoldAsync(redis, [(consumer, entry.Id)], outageWaits++, time, drainToken)) return false;
                }
                catch (Exception ex)
                {
                    LogJobStepFailed(ex, step, jobId, attempt, _options.RetryAttempts);
                    if (attempt++ >= _options.RetryAttempts)
                    {
                        failure = $"{step} failed {_options.RetryAttempts} times: {ex.GetType().Name}: {ex.Message}";
                        break;
                    }
                    await Task.Delay(Backoff(attempt - 1), time, drainToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            keepClaimed.Cancel();
            await claims;
        }

        JobEnd? end = null;
        if (!await ThroughOutagesAsync(async () =>
            {
                await using var scope = scopes.CreateAsyncScope();
                if (beforeEnd is not null)
                {
                    await beforeEnd(scope.ServiceProvider, failure);
                }
                end = await scope.ServiceProvider.GetRequiredService<JobStore>().EndAsync(jobId,
                    TimeSpan.FromSeconds(_options.JobStatusTtl), failure, CancellationToken.None);
                await AcknowledgeAsync(entry.Id);
            }, [entry.Id], consumer, drainToken))
        {
            return false;
        }
        if (end!.Ending == JobEnding.Ended)
        {
            await RecordJobDurationAsync(jobId, end.Status);
        }
        if (failure is not null) activity?.SetStatus(ActivityStatusCode.Error, failure);
        return true;
    }

    /// <summary>Refreshes a long-running entry's claim every third of the task timeout, until cancelled.</summary>
    private async Task KeepClaimedAsync(RedisValue entryId, string consumer, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, _options.TimeoutSeconds / 3.0));
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested) return;
            try
            {
                await redis.GetDatabase().StreamClaimIdsOnlyAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, consumer, 0, [entryId]);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis is away; the next tick tries again (an outage of the finalisation's own holds it too).
            }
        }
    }

    /// <summary>What follows a recorded outcome: metrics, logs, the end of the chunk's span.</summary>
    private async Task FinishAsync(Task<ChunkOutcome> recording, Activity? activity, ChunkMessage message, bool succeeded, long started)
    {
        using var _ = activity;
        ChunkOutcome outcome;
        try
        {
            outcome = await recording;
        }
        catch (Exception ex)
        {
            // Redis or PostgreSQL stayed unreachable past the shutdown deadline, or the script failed: the entry is
            // still pending and is claimed again later; the finished-chunks set makes that run count once.
            activity?.SetStatus(ActivityStatusCode.Error, "outcome not recorded");
            LogOutcomeNotRecorded(ex, message.JobId, message.ChunkIndex);
            return;
        }

        if (succeeded && outcome.Disposition == OutcomeDisposition.Recorded)
        {
            WorkerTelemetry.ChunksProcessed.Add(1);
            WorkerTelemetry.ChunkDuration.Record(time.GetElapsedTime(started).TotalSeconds);
        }
        switch (outcome.Disposition)
        {
            case OutcomeDisposition.Duplicate:
                LogDuplicate(message.JobId, message.ChunkIndex);
                break;
            case OutcomeDisposition.UnknownJob:
                LogUnknownJob(message.JobId, message.ChunkIndex);
                break;
            case OutcomeDisposition.Recorded when outcome.LastChunk:
                LogLastChunk(message.JobId, outcome.ChunksProcessed, outcome.ChunksFailed, outcome.ChunksTotal);
                break;
        }
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
        if (FinalizeMessage.TryRead(entry, out var finalization))
        {
            // Not dead-lettered (there is no chunk to retry): the job ends failed, saying why, instead of never ending.
            if (finalization is not null)
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<JobStore>().EndAsync(finalization.JobId,
                    TimeSpan.FromSeconds(_options.JobStatusTtl), "The job's finalisation " + error[0..1].ToLowerInvariant() + error[1..], CancellationToken.None);
                LogPoisonJobStep(FinalizeMessage.Kind, finalization.JobId, deliveries);
            }
            await AcknowledgeAsync(entry.Id);
            return;
        }
        if (DeleteDocumentMessage.TryRead(entry, out var deletion))
        {
            // Likewise a deletion: its job ends failed and its document says so, to be deleted again.
            if (deletion is not null)
            {
                await using var scope = scopes.CreateAsyncScope();
                var failure = $"The deletion of {deletion.DocumentId} " + error[0..1].ToLowerInvariant() + error[1..];
                await scope.ServiceProvider.GetRequiredService<DocumentDeletionJob>().SettleAsync(deletion.JobId, deletion.DocumentId, failure, CancellationToken.None);
                await scope.ServiceProvider.GetRequiredService<JobStore>().EndAsync(deletion.JobId, TimeSpan.FromSeconds(_options.JobStatusTtl), failure, CancellationToken.None);
                LogPoisonJobStep(DeleteDocumentMessage.Kind, deletion.JobId, deliveries);
            }
            await AcknowledgeAsync(entry.Id);
            return;
        }
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

    /// <summary>Runs a bookkeeping step for a consumer's entries through dependency outages (see <see cref="PendingClaims"/>).</summary>
    private Task<bool> ThroughOutagesAsync(Func<Task> step, RedisValue[] entryIds, string consumer, CancellationToken drainToken) =>
        PendingClaims.ThroughOutagesAsync(redis, step, [.. entryIds.Select(id => (consumer, id))], time,
            ex => LogBookkeepingOutage(ex, entryIds[0].ToString()), drainToken);

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

    [LoggerMessage(Level = LogLevel.Error, Message = "Entry {EntryId} could not be finished by {Consumer}; it stays pending and will be claimed again")]
    private partial void LogHandlingFailed(Exception exception, string entryId, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outcome of chunk {ChunkIndex} of job {JobId} was not recorded; its entry stays pending and will be claimed again")]
    private partial void LogOutcomeNotRecorded(Exception exception, Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped chunk {ChunkIndex} of cancelled job {JobId}")]
    private partial void LogSkippedCancelled(Guid jobId, int chunkIndex);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Step} entry of job {JobId} was delivered {Deliveries} times without finishing; the job ends failed")]
    private partial void LogPoisonJobStep(string step, Guid jobId, int deliveries);

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: its chunks are done ({Processed} processed, {Failed} failed of {Total}); its finalisation is queued")]
    private partial void LogLastChunk(Guid jobId, int processed, int failed, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown deadline reached: {Step} of job {JobId} (entry {EntryId}) is left pending for another consumer")]
    private partial void LogJobStepLeftPending(string step, Guid jobId, string entryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Step} of job {JobId} waits for an unreachable dependency")]
    private partial void LogJobStepOutage(Exception exception, string step, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Step} of job {JobId} failed (attempt {Attempt} of {Attempts})")]
    private partial void LogJobStepFailed(Exception exception, string step, Guid jobId, int attempt, int attempts);
}
