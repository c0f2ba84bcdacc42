using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Workers.Pool;

/// <summary>
/// Records the pool's chunk outcomes with group commit: an outcome is sent at once when nothing is in flight, and the
/// outcomes that arrive while a call is in flight go together in the next one (one script, one round trip). A slow
/// chunk's outcome is therefore recorded as soon as it is known, and a flood of fast ones costs a round trip per
/// batch instead of per chunk. Consumers do not wait for it before starting their next chunk: the entry stays pending
/// in the consumer group until its outcome is recorded and acknowledged, so a crash in between redelivers it and the
/// finished-chunks set counts it once.
/// </summary>
public sealed partial class OutcomeRecorder(
    IConnectionMultiplexer redis,
    IServiceScopeFactory scopes,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<OutcomeRecorder> logger)
{
    /// <summary>Most outcomes per script call: bounds one call's time in Redis (which serves everyone else meanwhile).</summary>
    public const int MaxOutcomesPerCall = 256;

    private readonly Channel<PendingOutcome> _pending = Channel.CreateUnbounded<PendingOutcome>(
        new UnboundedChannelOptions { SingleReader = true });

    /// <summary>
    /// Queues an outcome. The task completes once it is recorded and its entry acknowledged; it faults when that could
    /// not be done (the entry then stays pending and is claimed again later).
    /// </summary>
    public Task<ChunkOutcome> RecordAsync(ChunkOutcomeToRecord outcome, string consumer, Activity? activity)
    {
        var pending = new PendingOutcome(outcome, consumer, activity);
        if (!_pending.Writer.TryWrite(pending))
        {
            pending.Completion.SetException(new InvalidOperationException("The outcome recorder has stopped."));
        }
        return pending.Completion.Task;
    }

    /// <summary>Runs until <see cref="Complete"/> has been called and everything queued is recorded (or given up on).</summary>
    /// <param name="drainToken">Cancelled when the shutdown deadline has passed: stop waiting out outages then.</param>
    public async Task RunAsync(CancellationToken drainToken)
    {
        var batch = new List<PendingOutcome>(MaxOutcomesPerCall);
        while (await _pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxOutcomesPerCall && _pending.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            try
            {
                await RecordBatchAsync(batch, drainToken);
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>No more outcomes will come (every consumer has stopped); <see cref="RunAsync"/> ends after the last.</summary>
    public void Complete() => _pending.Writer.TryComplete();

    private async Task RecordBatchAsync(List<PendingOutcome> batch, CancellationToken drainToken)
    {
        var outcomes = new ChunkOutcomeToRecord[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            outcomes[i] = batch[i].Outcome;
        }

        // The call's Redis and PostgreSQL spans belong to the first chunk's trace rather than to none.
        var previous = Activity.Current;
        Activity.Current = batch[0].Activity;
        try
        {
            // Redis or PostgreSQL unreachable: the entries are held (their claims refreshed) and the call tried again, so
            // no other consumer takes them over as abandoned during a long outage.
            ChunkOutcome[]? recorded = null;
            if (!await PendingClaims.ThroughOutagesAsync(redis, async () => recorded = await RecordAndAcknowledgeAsync(outcomes),
                    [.. batch.Select(p => (p.Consumer, p.Outcome.Acknowledge))], time, ex => LogOutage(ex, batch.Count), drainToken))
            {
                throw new OperationCanceledException("Shutdown deadline reached before the outcome could be recorded; the entry stays pending.");
            }
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(recorded![i]);
            }
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// One script records every outcome and acknowledges the entries of jobs still running; the entries of jobs this
    /// call finished are acknowledged after <see cref="JobStore.RecordOutcomesAsync"/> wrote their PostgreSQL rows.
    /// </summary>
    private async Task<ChunkOutcome[]> RecordAndAcknowledgeAsync(ChunkOutcomeToRecord[] outcomes)
    {
        await using var scope = scopes.CreateAsyncScope();
        var recorded = await scope.ServiceProvider.GetRequiredService<JobStore>().RecordOutcomesAsync(
            outcomes, TimeSpan.FromSeconds(options.Value.JobStatusTtl), CancellationToken.None);

        List<RedisValue>? unacknowledged = null;
        for (var i = 0; i < recorded.Length; i++)
        {
            if (!recorded[i].Acknowledged && !outcomes[i].Acknowledge.IsNull)
            {
                (unacknowledged ??= []).Add(outcomes[i].Acknowledge);
            }
        }
        if (unacknowledged is not null)
        {
            await redis.GetDatabase().StreamAcknowledgeAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, [.. unacknowledged]);
        }
        return recorded;
    }

    private sealed record PendingOutcome(ChunkOutcomeToRecord Outcome, string Consumer, Activity? Activity)
    {
        // Continuations run inline, in this loop: what follows an outcome (metrics, a log line, ending the chunk's span)
        // is short, and a thread-pool hop per chunk cost more than it. Waiters that do more must yield first.
        public TaskCompletionSource<ChunkOutcome> Completion { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A dependency is unreachable while recording {Count} chunk outcomes; waiting for it")]
    private partial void LogOutage(Exception exception, int count);
}
