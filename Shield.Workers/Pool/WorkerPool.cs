using Microsoft.Extensions.Options;
using Shield.Contracts.Events;
using Shield.Ingestion.Events;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// <see cref="WorkerOptions.PoolSize"/> consumers in the group <c>lightrag-workers</c>, each reading batches
/// with XREADGROUP and handling them; the <see cref="OutcomeRecorder"/> records outcomes and acknowledges entries in
/// the background (group commit), so a consumer reads its next batch while the last one's outcomes are recorded.
/// Idle consumers sleep on the queue's <see cref="RedisWakeSignal"/>. On shutdown they stop reading, finish the batch
/// they hold within the graceful timeout, and leave anything unfinished pending for another consumer.
/// </summary>
public sealed partial class WorkerPool(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    ChunkHandler handler,
    RecentJobStarts jobStarts,
    OutcomeRecorder recorder,
    RedisWakeSignal signal,
    WorkerIdentity identity,
    IngestionEventLog events,
    PoolState state,
    IOptions<WorkerOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<WorkerPool> logger) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;

    /// <summary>Cancelled when the graceful-shutdown timeout runs out, not when shutdown starts.</summary>
    private readonly CancellationTokenSource _drain = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await EnsureConsumerGroupAsync();
        }
        catch (Exception ex) when (DependencyOutage.CredentialsRefused(ex))
        {
            // Never a consumer of a queue whose Redis does not know this process: exit, and say why.
            LogCredentialsRefused(ex);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }
        await signal.SubscribeAsync(redis);
        // No consumer exists before this process's heartbeat does: other processes remove consumers without one.
        await state.HeartbeatWritten.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        await using var _ = stoppingToken.Register(() => _drain.CancelAfter(TimeSpan.FromSeconds(_options.GracefulShutdownTimeout)));

        LogPoolStarting(_options.PoolSize, identity.ProcessId);
        var recording = Task.Run(() => recorder.RunAsync(_drain.Token), CancellationToken.None);
        var consumers = Enumerable.Range(0, _options.PoolSize)
            .Select(slot => Task.Run(() => RunConsumerAsync(slot, stoppingToken), CancellationToken.None));
        try
        {
            await Task.WhenAll(consumers);
        }
        finally
        {
            // Every consumer has awaited its outcomes; the recorder ends once it has nothing queued.
            recorder.Complete();
            await recording;
        }
        LogPoolStopped(identity.ProcessId);
    }

    private async Task RunConsumerAsync(int slot, CancellationToken stoppingToken)
    {
        var generation = 0;
        var consumer = identity.ConsumerName(slot, generation);
        var handled = 0;
        var lastReclaim = time.GetTimestamp();
        var failures = 0;
        // Outcomes of this consumer's chunks still being recorded: at most about one batch behind its reads.
        var recordings = new List<Task>();
        var readSize = new ReadSize(_options.BatchSize, _options.MaxBatchSize);
        // Until a read finds entries, the consumer is idle: its next read also begins the entries' jobs.
        var idle = true;
        await AnnounceAsync(EventTypes.WorkerStarted, consumer, slot, handled, "started");

        while (!stoppingToken.IsCancellationRequested)
        {
            recordings.RemoveAll(r => r.IsCompleted);
            if (recordings.Count > readSize.Next)
            {
                // Yielding: the recordings complete on the recorder's loop, which must not run this consumer's next batch.
                await Task.WhenAll(recordings).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                recordings.Clear();
            }
            var wake = signal.Next;
            StreamEntry[] entries;
            try
            {
                entries = [];
                if (slot == 0 && time.GetElapsedTime(lastReclaim) >= TimeSpan.FromSeconds(_options.HealthCheckInterval))
                {
                    lastReclaim = time.GetTimestamp();
                    entries = await ReclaimAbandonedAsync(consumer);
                }
                if (entries.Length == 0 && idle)
                {
                    // One round trip reads the batch and checks and starts its jobs: a new job's first chunk starts
                    // one round trip after the wake-up.
                    await using var scope = scopes.CreateAsyncScope();
                    var checkedAt = time.GetTimestamp();
                    (entries, var starts) = await scope.ServiceProvider.GetRequiredService<JobStore>()
                        .ReadAndBeginChunksAsync(consumer, readSize.Next, stoppingToken);
                    foreach (var (jobId, start) in starts) jobStarts.Remember(jobId, start, checkedAt);
                }
                else if (entries.Length == 0)
                {
                    // Busy: a plain read (the jobs of its entries are mostly known from the last second's batches).
                    entries = await redis.GetDatabase().StreamReadGroupAsync(IngestionStream.Key, IngestionStream.ConsumerGroup,
                        consumer, StreamPosition.NewMessages, readSize.Next);
                }
                idle = entries.Length == 0;
                failures = 0;
            }
            catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
            {
                // Redis lost the group (restarted without persistence, or FLUSHALL): whatever was pending is gone.
                // (Contains, not StartsWith: from inside the read script the error comes wrapped in the script's.)
                LogGroupLost(ex.Message);
                await EnsureConsumerGroupAsync();
                continue;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures, 6))));
                LogReadFailed(ex, consumer, delay.TotalSeconds);
                await Task.Delay(delay, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            if (entries.Length == 0)
            {
                await wake.WaitAsync(TimeSpan.FromMilliseconds(_options.IdleReadIntervalMilliseconds), time, stoppingToken)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            state.ConsumerBusy(consumer, true);
            try
            {
                // Once stopping, the rest of the batch is still ours: finish it within the graceful timeout.
                var started = time.GetTimestamp();
                var batch = await handler.HandleBatchAsync(entries, consumer, recordings, _drain.Token);
                handled += batch.Handled;
                readSize.Observe(batch.Run, time.GetElapsedTime(started));
            }
            catch (Exception ex)
            {
                // Redis or PostgreSQL failed outside a chunk's own handling (dead-lettering an unreadable entry,
                // skipping a cancelled one, a failing script): whatever was not acknowledged stays pending and is
                // claimed again; the consumer carries on.
                if (!_drain.IsCancellationRequested) LogBatchFailed(ex, consumer, entries.Length);
            }
            finally
            {
                state.ConsumerBusy(consumer, false);
            }

            if (handled >= _options.MaxTasksPerChild && !stoppingToken.IsCancellationRequested)
            {
                // Its entries must be acknowledged before it can leave the group (see RetireAsync).
                await Task.WhenAll(recordings).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
                recordings.Clear();
                await RetireAsync(consumer, slot, handled, "recycled");
                generation++;
                consumer = identity.ConsumerName(slot, generation);
                handled = 0;
                LogConsumerRecycled(slot, consumer);
                await AnnounceAsync(EventTypes.WorkerStarted, consumer, slot, handled, "started");
            }
        }

        await Task.WhenAll(recordings).ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        await RetireAsync(consumer, slot, handled, "shutdown");
    }

    /// <summary>
    /// Claims entries idle longer than the task timeout: their consumer died or hung. The threshold is the task
    /// timeout itself, so a live chunk is never taken from a worker that is still within its time.
    /// </summary>
    private async Task<StreamEntry[]> ReclaimAbandonedAsync(string consumer)
    {
        var db = redis.GetDatabase();
        var minIdle = (long)TimeSpan.FromSeconds(_options.TimeoutSeconds).TotalMilliseconds + 5_000;
        var claimed = await db.StreamAutoClaimAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, consumer,
            minIdle, "0-0", _options.BatchSize);
        var runnable = new List<StreamEntry>(claimed.ClaimedEntries.Length);
        if (claimed.ClaimedEntries.Length > 0)
        {
            LogReclaimed(claimed.ClaimedEntries.Length, consumer);
            var deliveries = (await db.StreamPendingMessagesAsync(IngestionStream.Key, IngestionStream.ConsumerGroup,
                    claimed.ClaimedEntries.Length, consumer, claimed.ClaimedEntries[0].Id, claimed.ClaimedEntries[^1].Id))
                .ToDictionary(p => p.MessageId.ToString(), p => p.DeliveryCount);
            foreach (var entry in claimed.ClaimedEntries)
            {
                // The stream's own delivery count survives crashes: an entry whose worker died every time it ran
                // (a poison chunk) is dead-lettered instead of being handed to the next worker to kill.
                var count = deliveries.GetValueOrDefault(entry.Id.ToString(), 1);
                if (count > _options.RetryAttempts)
                {
                    await handler.DeadLetterAbandonedAsync(entry, count);
                }
                else
                {
                    runnable.Add(entry);
                }
            }
        }
        await RemoveDeadConsumersAsync();
        await TrimAcknowledgedAsync();
        await TrimExpiredEventsAsync();
        return [.. runnable];
    }

    /// <summary>
    /// Drops entries every consumer is done with, so the stream does not grow forever. Everything older than the
    /// oldest pending entry (or than the next undelivered one, when nothing is pending) has been acknowledged.
    /// </summary>
    private async Task TrimAcknowledgedAsync()
    {
        var db = redis.GetDatabase();
        var pending = await db.StreamPendingAsync(IngestionStream.Key, IngestionStream.ConsumerGroup);
        var group = (await db.StreamGroupInfoAsync(IngestionStream.Key)).FirstOrDefault(g => g.Name == IngestionStream.ConsumerGroup);
        if (group.Name is null || string.IsNullOrEmpty(group.LastDeliveredId))
        {
            return;
        }
        var threshold = pending.PendingMessageCount > 0 ? pending.LowestPendingMessageId.ToString() : NextId(group.LastDeliveredId);
        var trimmed = (long)await db.ExecuteAsync("XTRIM", IngestionStream.Key, "MINID", threshold);
        if (trimmed > 0)
        {
            LogTrimmed(trimmed);
        }
    }

    /// <summary>
    /// Drops events older than a finished job's Redis record (<see cref="WorkerOptions.JobStatusTtl"/>): replaying
    /// them would describe jobs Redis has forgotten. The count cap on every append bounds the log under load; this
    /// lets it shrink back when the system goes quiet, so Redis returns to its idle size.
    /// </summary>
    private async Task TrimExpiredEventsAsync()
    {
        var oldest = time.GetUtcNow().AddSeconds(-_options.JobStatusTtl).ToUnixTimeMilliseconds();
        // LIMIT 0: an approximate trim otherwise drops at most 10,000 entries per call, too few after a busy hour.
        var trimmed = (long)await redis.GetDatabase().ExecuteAsync("XTRIM", EventStream.Key, "MINID", "~", $"{oldest}-0", "LIMIT", 0);
        if (trimmed > 0)
        {
            LogEventsTrimmed(trimmed);
        }
    }

    private static string NextId(string id)
    {
        var dash = id.IndexOf('-');
        return $"{id[..dash]}-{ulong.Parse(id[(dash + 1)..]) + 1}";
    }

    /// <summary>Consumers of processes whose heartbeat is gone leave the group once they hold nothing (see <see cref="DeadConsumers"/>).</summary>
    private async Task RemoveDeadConsumersAsync()
    {
        var lifetime = WorkerHeartbeat.Lifetime(TimeSpan.FromSeconds(_options.HealthCheckInterval));
        foreach (var consumer in await DeadConsumers.RemoveAsync(redis.GetDatabase(), identity.ProcessId, lifetime))
        {
            LogDeadConsumerRemoved(consumer);
        }
    }

    /// <summary>
    /// Announces the consumer's end and removes it from the group, but only when it holds nothing: deleting a
    /// consumer deletes its pending entries, which would lose them.
    /// </summary>
    private async Task RetireAsync(string consumer, int slot, int handled, string reason)
    {
        try
        {
            var db = redis.GetDatabase();
            var pending = await db.StreamPendingMessagesAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, 1, consumer);
            if (pending.Length == 0)
            {
                await db.StreamDeleteConsumerAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, consumer);
            }
            await AnnounceAsync(EventTypes.WorkerStopped, consumer, slot, handled, reason);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRetireFailed(ex, consumer);
        }
        LogConsumerStopped(consumer, handled, reason);
    }

    private async Task AnnounceAsync(string eventType, string consumer, int slot, int handled, string reason)
    {
        if (eventType == EventTypes.WorkerStarted) state.ConsumerStarted(consumer);
        else state.ConsumerStopped(consumer);

        try
        {
            if (eventType == EventTypes.WorkerStarted)
            {
                // Redis only creates a consumer when it is first handed an entry; creating it up front makes the
                // whole pool visible in XINFO CONSUMERS from the start.
                await redis.GetDatabase().ExecuteAsync("XGROUP", "CREATECONSUMER",
                    IngestionStream.Key, IngestionStream.ConsumerGroup, consumer);
            }
            await events.AppendAsync(IngestionEvent.Create(eventType, jobId: null, time.GetUtcNow(),
                new WorkerEventData(consumer, slot, identity.ProcessId, handled, reason)));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogAnnounceFailed(ex, eventType, consumer);
        }
    }

    private async Task EnsureConsumerGroupAsync()
    {
        try
        {
            // "$"-less start at 0-0: a group created after chunks were queued must still see them.
            await redis.GetDatabase().StreamCreateConsumerGroupAsync(
                IngestionStream.Key, IngestionStream.ConsumerGroup, "0-0", createStream: true);
            LogGroupCreated(IngestionStream.ConsumerGroup, IngestionStream.Key);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another process created it first.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        LogDraining(_options.GracefulShutdownTimeout);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _drain.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Redis refused this process's credentials (another run's or a rotated password?); not joining the consumer group, stopping")]
    private partial void LogCredentialsRefused(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker pool starting {PoolSize} consumers in process {ProcessId}")]
    private partial void LogPoolStarting(int poolSize, string processId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker pool of process {ProcessId} stopped")]
    private partial void LogPoolStopped(string processId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: consumers stop reading and get {Seconds} s to finish what they hold")]
    private partial void LogDraining(int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created consumer group {Group} on {Stream}")]
    private partial void LogGroupCreated(string group, string stream);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Consumer group missing ({Reason}); recreating it. Entries that were pending in Redis before this are lost unless Redis persisted them")]
    private partial void LogGroupLost(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} could not read the stream; retrying in {DelaySeconds} s")]
    private partial void LogReadFailed(Exception exception, string consumer, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Consumer {Consumer} could not finish a batch of {Count} entries; what was not acknowledged stays pending and will be claimed again")]
    private partial void LogBatchFailed(Exception exception, string consumer, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claimed {Count} abandoned entries for {Consumer}")]
    private partial void LogReclaimed(int count, string consumer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Count} acknowledged entries from the stream")]
    private partial void LogTrimmed(long count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Count} events older than the job status TTL")]
    private partial void LogEventsTrimmed(long count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed dead consumer {Consumer} from the group")]
    private partial void LogDeadConsumerRemoved(string consumer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer slot {Slot} reached the task limit; continuing as {Consumer}")]
    private partial void LogConsumerRecycled(int slot, string consumer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consumer {Consumer} stopped after {Handled} chunks ({Reason})")]
    private partial void LogConsumerStopped(string consumer, int handled, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer {Consumer} could not leave the group cleanly")]
    private partial void LogRetireFailed(Exception exception, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not emit {EventType} for {Consumer}")]
    private partial void LogAnnounceFailed(Exception exception, string eventType, string consumer);
}
