using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Shield.Contracts.Events;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Documents;
using Shield.Ingestion.Events;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Ingestion.Jobs;

/// <summary>
/// Job state in two places: a Redis hash for fast reads and atomic progress, and a PostgreSQL row that outlives
/// the Redis copy's TTL. Both services use it: the Api creates and reads jobs, the Workers record outcomes.
/// </summary>
public sealed partial class JobStore(
    IConnectionMultiplexer redis,
    ShieldDbContext db,
    TimeProvider time,
    ILogger<JobStore> logger,
    DurableProgressWriter? progressWriter = null)
{
    /// <summary>How long completion-rate buckets live: long enough for a one-minute rate window.</summary>
    private const int RateBucketLifetimeSeconds = 120;

    /// <summary>
    /// Records the job (PostgreSQL first, then Redis) and appends all of its chunks and its <c>ingestion.queued</c>
    /// event to Redis in one MULTI/EXEC, so either every chunk is on the stream or none is.
    /// </summary>
    /// <exception cref="JobNotQueuedException">Redis did not take the job; the durable row says so.</exception>
    public async Task<JobSnapshot> CreateAsync(NewJob job, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var row = new JobRow
        {
            Id = job.JobId,
            Status = JobStatus.Queued,
            SourceType = job.SourceType,
            ChunksTotal = job.Chunks.Count,
            MetadataJson = job.MetadataJson,
            CreatedAt = now,
        };
        db.Jobs.Add(row);
        await db.SaveChangesAsync(cancellationToken);

        try
        {
            await EnqueueAsync(job, now);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The client is told the submission failed; the durable row must not claim the job is queued.
            row.Status = JobStatus.Failed;
            row.Error = "The job could not be queued: " + ex.Message;
            row.CompletedAt = time.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            await DocumentsFollowAsync(job.JobId, row.CompletedAt.Value, CancellationToken.None);
            LogEnqueueFailed(job.JobId, ex);
            throw new JobNotQueuedException(job.JobId, ex);
        }

        LogJobQueued(job.JobId, job.Chunks.Count, job.SourceType);
        return ToSnapshot(row);
    }

    /// <summary>
    /// Records a document's deletion job (PostgreSQL first, with whatever else the caller added to the context, then
    /// Redis) and queues its one <see cref="DeleteDocumentMessage"/> entry, as <see cref="CreateAsync"/> queues chunks.
    /// </summary>
    /// <exception cref="JobNotQueuedException">Redis did not take the job; the durable row says so.</exception>
    public async Task<JobSnapshot> CreateDeletionAsync(Guid jobId, string documentId, string metadataJson, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var row = new JobRow
        {
            Id = jobId,
            Status = JobStatus.Queued,
            SourceType = DeleteDocumentMessage.SourceType,
            MetadataJson = metadataJson,
            CreatedAt = now,
        };
        db.Jobs.Add(row);
        await db.SaveChangesAsync(cancellationToken);

        try
        {
            await EnqueueAsync(jobId, DeleteDocumentMessage.SourceType, chunksTotal: 0, metadataJson, now, entries: 1,
                (traceParent, traceState) => [new DeleteDocumentMessage(jobId, documentId, traceParent, traceState).ToStreamFields()],
                new JobQueuedData(0, DeleteDocumentMessage.SourceType, documentId));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            row.Status = JobStatus.Failed;
            row.Error = "The deletion could not be queued: " + ex.Message;
            row.CompletedAt = time.GetUtcNow();
            await db.SaveChangesAsync(CancellationToken.None);
            LogEnqueueFailed(jobId, ex);
            throw new JobNotQueuedException(jobId, ex);
        }

        LogDeletionQueued(jobId, documentId);
        return ToSnapshot(row);
    }

    private Task EnqueueAsync(NewJob job, DateTimeOffset now) =>
        EnqueueAsync(job.JobId, job.SourceType, job.Chunks.Count, job.MetadataJson, now, job.Chunks.Count,
            (traceParent, traceState) => job.Chunks.Select((chunk, index) => new ChunkMessage(job.JobId, index, ChunkIds.ForContent(chunk.Text),
                chunk.Text, chunk.SourceUri, job.SourceType, chunk.MetadataJson, traceParent, TraceState: traceState).ToStreamFields()),
            new JobQueuedData(job.Chunks.Count, job.SourceType));

    /// <summary>The job's hash, its stream entries and its <c>ingestion.queued</c> event, in one MULTI/EXEC.</summary>
    /// <param name="streamEntries">The entries to append, given the trace context they carry.</param>
    private async Task EnqueueAsync(Guid jobId, string sourceType, int chunksTotal, string metadataJson, DateTimeOffset now, int entries,
        Func<string?, string?, IEnumerable<NameValueEntry[]>> streamEntries, JobQueuedData queuedData)
    {
        // The publish span is the parent of every chunk's processing span in the Workers: the context travels in
        // each entry (W3C traceparent/tracestate), so one submission is one trace across both services.
        using var publish = IngestionTelemetry.StartPublish(jobId, entries);
        var context = Activity.Current;
        var traceParent = context is { IdFormat: ActivityIdFormat.W3C } ? context.Id : null;
        var traceState = traceParent is null ? null : context!.TraceStateString;
        var database = redis.GetDatabase();
        var transaction = database.CreateTransaction();
        var hash = JobKeys.Hash(jobId);
        _ = transaction.HashSetAsync(hash,
        [
            new("job_id", jobId.ToString()),
            new("status", JobStatus.Queued),
            new("source_type", sourceType),
            new("chunks_total", chunksTotal),
            new("chunks_processed", 0),
            new("chunks_failed", 0),
            new("created_at", Iso(now)),
            new("created_at_ms", now.ToUnixTimeMilliseconds()),
            new("metadata", metadataJson),
            // The job's finalisation entry, queued by its last chunk, carries these so it joins the job's trace.
            new("traceparent", traceParent ?? ""),
            new("tracestate", traceState ?? ""),
        ]);
        foreach (var fields in streamEntries(traceParent, traceState))
        {
            _ = transaction.StreamAddAsync(IngestionStream.Key, fields);
        }
        var queued = IngestionEvent.Create(EventTypes.Queued, jobId, now, queuedData);
        _ = transaction.StreamAddAsync(EventStream.Key,
        [
            new(EventStream.TypeField, queued.EventType),
            new(EventStream.JobField, jobId.ToString()),
            new(EventStream.PayloadField, queued.ToJson()),
        ], maxLength: IngestionEventLog.RetainedEvents, useApproximateMaxLength: true);

        if (!await transaction.ExecuteAsync())
        {
            throw new RedisException("The MULTI/EXEC transaction that enqueues the job was discarded.");
        }

        // Wake-ups are hints: a consumer that misses one still finds the entries on its next periodic read.
        await database.PublishAsync(RedisChannel.Literal(IngestionStream.WakeChannel), entries, CommandFlags.FireAndForget);
        await database.PublishAsync(RedisChannel.Literal(EventStream.NotifyChannel), "queued", CommandFlags.FireAndForget);
    }

    /// <summary>
    /// The newest jobs, newest first, each as <see cref="GetAsync"/> reports it: from Redis while its copy lives, else
    /// from PostgreSQL. One query reads the page's durable copies and one pipelined batch reads their Redis copies, however many
    /// jobs the page holds. (A job's row is final long before its Redis copy expires, so reading the rows first answers the same.)
    /// </summary>
    public async Task<IReadOnlyList<JobSnapshot>> RecentAsync(int limit, CancellationToken cancellationToken)
    {
        // The snapshot's columns only: the page never needs a job's metadata.
        var durable = await db.Jobs.AsNoTracking().OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id).Take(limit)
            .Select(j => new JobSnapshot(j.Id, j.Status, j.SourceType, j.ChunksTotal, j.ChunksProcessed, j.ChunksFailed,
                j.CreatedAt, j.StartedAt, j.CompletedAt, j.Error))
            .ToListAsync(cancellationToken);
        if (durable.Count == 0)
        {
            return [];
        }

        var batch = redis.GetDatabase().CreateBatch();
        var copies = durable.Select(job => batch.HashGetAllAsync(JobKeys.Hash(job.JobId))).ToArray();
        batch.Execute();
        await Task.WhenAll(copies);

        var jobs = new JobSnapshot[durable.Count];
        for (var i = 0; i < durable.Count; i++)
        {
            var fields = copies[i].Result;
            jobs[i] = fields.Length > 0
                ? FromHash(durable[i].JobId, fields.ToDictionary(f => f.Name.ToString(), f => f.Value.ToString()))
                : durable[i];
        }
        return jobs;
    }

    /// <summary>The job from Redis, or from PostgreSQL once the Redis copy has expired; null when unknown.</summary>
    public async Task<JobSnapshot?> GetAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var fields = await redis.GetDatabase().HashGetAllAsync(JobKeys.Hash(jobId));
        if (fields.Length > 0)
        {
            return FromHash(jobId, fields.ToDictionary(f => f.Name.ToString(), f => f.Value.ToString()));
        }

        var row = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
        return row is null ? null : ToSnapshot(row);
    }

    /// <summary>Marks the job started when this is its first chunk; only the first caller emits <c>ingestion.started</c>.</summary>
    public async Task<bool> MarkStartedAsync(Guid jobId, CancellationToken cancellationToken) =>
        await BeginChunkAsync(jobId, cancellationToken) == ChunkStart.First;

    /// <summary>What a worker does before running a chunk: see <see cref="BeginChunksAsync"/>.</summary>
    public async Task<ChunkStart> BeginChunkAsync(Guid jobId, CancellationToken cancellationToken) =>
        (await BeginChunksAsync([jobId], cancellationToken))[0];

    /// <summary>
    /// What a worker does before running a batch of chunks, in one round trip for all of their jobs: tells it which
    /// jobs were cancelled (skip their chunks) and marks the others started where this is their first chunk (only that
    /// caller emits <c>ingestion.started</c>).
    /// </summary>
    /// <param name="jobIds">Distinct job ids; the answers come back in the same order.</param>
    public async Task<ChunkStart[]> BeginChunksAsync(IReadOnlyList<Guid> jobIds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var keys = new RedisKey[jobIds.Count + 1];
        var args = new RedisValue[jobIds.Count + 3];
        keys[0] = EventStream.Key;
        args[0] = Iso(now);
        args[1] = IngestionEventLog.RetainedEvents;
        args[2] = EventStream.NotifyChannel;
        for (var i = 0; i < jobIds.Count; i++)
        {
            keys[i + 1] = JobKeys.Hash(jobIds[i]);
            args[i + 3] = jobIds[i].ToString();
        }
        var answers = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(JobScripts.BeginChunks, keys, args))!;

        var starts = new ChunkStart[jobIds.Count];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = ToChunkStart((int)answers[i]);
            if (starts[i] == ChunkStart.First)
            {
                await RecordStartAsync(jobIds[i], now, cancellationToken);
            }
        }
        return starts;
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> new entries for <paramref name="consumer"/> and begins their jobs (see
    /// <see cref="BeginChunksAsync"/>) in the same round trip. A job whose answer is missing (an entry whose job id is
    /// not in canonical form) is left for the caller to begin.
    /// </summary>
    public async Task<(StreamEntry[] Entries, Dictionary<Guid, ChunkStart> Starts)> ReadAndBeginChunksAsync(
        string consumer, int count, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(JobScripts.ReadAndBeginChunks,
            [IngestionStream.Key, EventStream.Key],
            [
                IngestionStream.ConsumerGroup, consumer, count, Iso(now), IngestionEventLog.RetainedEvents,
                EventStream.NotifyChannel, JobKeys.HashPrefix,
            ]))!;

        var read = (RedisResult[])result[0]!;
        var entries = new StreamEntry[read.Length];
        for (var i = 0; i < read.Length; i++)
        {
            var entry = (RedisResult[])read[i]!;
            var fields = entry[1].IsNull ? null : (RedisValue[])entry[1]!;
            var values = new NameValueEntry[fields is null ? 0 : fields.Length / 2];
            for (var f = 0; f < values.Length; f++)
            {
                values[f] = new NameValueEntry(fields![2 * f], fields[2 * f + 1]);
            }
            // A deleted entry comes back without fields; ChunkMessage reports it as such and the worker dead-letters it.
            entries[i] = new StreamEntry((RedisValue)entry[0], fields is null ? null! : values);
        }

        var jobs = (RedisValue[])result[1]!;
        var answers = (RedisValue[])result[2]!;
        var starts = new Dictionary<Guid, ChunkStart>(jobs.Length);
        for (var i = 0; i < jobs.Length; i++)
        {
            var text = (string?)jobs[i];
            if (!Guid.TryParse(text, out var jobId) || text != jobId.ToString())
            {
                continue;
            }
            starts[jobId] = ToChunkStart((int)answers[i]);
            if (starts[jobId] == ChunkStart.First)
            {
                await RecordStartAsync(jobId, now, cancellationToken);
            }
        }
        return (entries, starts);
    }

    /// <summary>The job scripts' begin() answer: 1 started now, 2 cancelled, 0 already started or unknown.</summary>
    private static ChunkStart ToChunkStart(int answer) =>
        answer switch { 1 => ChunkStart.First, 2 => ChunkStart.Cancelled, _ => ChunkStart.Continued };

    /// <summary>The durable copy of a job's start.</summary>
    private async Task RecordStartAsync(Guid jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (progressWriter is not null)
        {
            // Workers coalesce the row's start with its progress (DurableProgressWriter): no commit on the pickup path.
            progressWriter.Enqueue(jobId, new DurableProgressWriter.Progress(0, 0, JobStatus.Processing, now, null));
            return;
        }
        await db.Jobs.Where(j => j.Id == jobId && j.StartedAt == null)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.StartedAt, now)
                .SetProperty(j => j.Status, j => j.Status == JobStatus.Queued ? JobStatus.Processing : j.Status),
                cancellationToken);
        await DocumentsFollowAsync(jobId, now, cancellationToken);
    }

    /// <summary>Records one chunk's outcome: see <see cref="RecordOutcomesAsync"/>.</summary>
    public async Task<ChunkOutcome> RecordOutcomeAsync(
        Guid jobId, int chunkIndex, bool succeeded, string? error, TimeSpan finishedJobTtl, CancellationToken cancellationToken,
        RedisValue acknowledge = default) =>
        (await RecordOutcomesAsync([new(jobId, chunkIndex, succeeded, error, acknowledge)], finishedJobTtl, cancellationToken))[0];

    /// <summary>
    /// Counts each chunk's outcome once (a redelivered chunk is a duplicate and changes nothing), emits its progress
    /// event and, for a job's last chunk, the terminal event, all in one round trip; then brings the durable rows up to
    /// date (one per job). Results come back in the order of <paramref name="outcomes"/>, each with its job's counts
    /// and status after the call.
    /// </summary>
    /// <remarks>
    /// An outcome's <see cref="ChunkOutcomeToRecord.Acknowledge"/> entry on <see cref="IngestionStream.Key"/> is
    /// XACKed in the same step unless its job is now finished; then the caller acknowledges it after this returns,
    /// i.e. after the finished job's PostgreSQL row is written. See <see cref="ChunkOutcome.Acknowledged"/>.
    /// </remarks>
    public async Task<ChunkOutcome[]> RecordOutcomesAsync(
        IReadOnlyList<ChunkOutcomeToRecord> outcomes, TimeSpan finishedJobTtl, CancellationToken cancellationToken)
    {
        // The script takes each job's outcomes together, in the order the jobs first appear.
        var byJob = new Dictionary<Guid, List<int>>();
        var jobs = new List<Guid>();
        for (var i = 0; i < outcomes.Count; i++)
        {
            if (!byJob.TryGetValue(outcomes[i].JobId, out var indexes))
            {
                byJob[outcomes[i].JobId] = indexes = [];
                jobs.Add(outcomes[i].JobId);
            }
            indexes.Add(i);
        }

        var now = time.GetUtcNow();
        var keys = new RedisKey[3 + 2 * jobs.Count];
        var args = new RedisValue[8 + 2 * jobs.Count + 4 * outcomes.Count];
        keys[0] = EventStream.Key;
        keys[1] = IngestionStream.Key;
        keys[2] = JobKeys.CompletionBucket(now.ToUnixTimeSeconds());
        args[0] = Iso(now);
        args[1] = now.ToUnixTimeMilliseconds();
        args[2] = (long)finishedJobTtl.TotalSeconds;
        args[3] = IngestionEventLog.RetainedEvents;
        args[4] = EventStream.NotifyChannel;
        args[5] = RateBucketLifetimeSeconds;
        args[6] = IngestionStream.ConsumerGroup;
        args[7] = IngestionStream.WakeChannel;
        var a = 8;
        for (var j = 0; j < jobs.Count; j++)
        {
            var indexes = byJob[jobs[j]];
            keys[3 + 2 * j] = JobKeys.Hash(jobs[j]);
            keys[4 + 2 * j] = JobKeys.FinishedChunks(jobs[j]);
            args[a++] = jobs[j].ToString();
            args[a++] = indexes.Count;
            foreach (var i in indexes)
            {
                var o = outcomes[i];
                args[a++] = o.ChunkIndex;
                args[a++] = o.Succeeded ? "p" : "f";
                args[a++] = o.Error ?? "";
                args[a++] = o.Acknowledge.IsNull ? "" : o.Acknowledge;
            }
        }
        var results = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(JobScripts.RecordChunkOutcomes, keys, args))!;

        var recorded = new ChunkOutcome[outcomes.Count];
        for (var j = 0; j < jobs.Count; j++)
        {
            var result = (RedisResult[])results[j]!;
            var (processed, failed, total, status) = ((int)result[0], (int)result[1], (int)result[2], result[3].ToString());
            var dispositions = result[4].ToString();
            var acknowledged = result[5].ToString();
            var indexes = byJob[jobs[j]];
            var counted = false;
            for (var k = 0; k < indexes.Count; k++)
            {
                var disposition = dispositions[k] switch
                {
                    'r' or 't' => OutcomeDisposition.Recorded,
                    'd' => OutcomeDisposition.Duplicate,
                    'c' => OutcomeDisposition.Cancelled,
                    _ => OutcomeDisposition.UnknownJob,
                };
                counted |= disposition is OutcomeDisposition.Recorded or OutcomeDisposition.Duplicate;
                recorded[indexes[k]] = new ChunkOutcome(disposition, processed, failed, total, status,
                    LastChunk: dispositions[k] == 't', Acknowledged: acknowledged[k] == '1');
            }
            if (counted)
            {
                // Once per job, with its counts after the call and the first error among its outcomes.
                var error = indexes.Select(i => outcomes[i].Error).FirstOrDefault(e => e is not null);
                await SaveDurableCopyAsync(jobs[j], recorded[indexes[^1]], error, now, cancellationToken);
            }
        }
        return recorded;
    }

    /// <summary>
    /// Writes Redis's absolute counts to the row (never increments), so replaying this after a crash or for a
    /// duplicate delivery is harmless and the row can only move forward.
    /// </summary>
    private async Task SaveDurableCopyAsync(Guid jobId, ChunkOutcome outcome, string? error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var terminal = JobStatus.IsTerminal(outcome.Status);
        if (!terminal && progressWriter is not null)
        {
            // A running job's progress is coalesced (at most one write per job per flush interval); a terminal state
            // is written here, before the caller acknowledges the entry, so a finished job is never only in Redis.
            progressWriter.Enqueue(jobId, new DurableProgressWriter.Progress(outcome.ChunksProcessed, outcome.ChunksFailed, outcome.Status, now, error));
            return;
        }
        await WriteDurableCopyAsync(db, jobId, outcome.ChunksProcessed, outcome.ChunksFailed, outcome.Status, now,
            terminal ? now : null, error, cancellationToken);
    }

    /// <remarks>
    /// The job's document, if it has one, follows in the same statement (<see cref="DocumentsFollowJobs"/>): processing
    /// when the job's start is written, processed or failed when its end is. A job without a document pays one index
    /// lookup for it.
    /// </remarks>
    internal static Task WriteDurableCopyAsync(ShieldDbContext db, Guid jobId, int chunksProcessed, int chunksFailed, string status,
        DateTimeOffset startedAt, DateTimeOffset? completedAt, string? error, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(WriteDurableCopySql,
            [jobId, chunksProcessed, chunksFailed, status, startedAt, completedAt!, error!, completedAt ?? startedAt], cancellationToken);

    private static readonly string WriteDurableCopySql = """
        WITH job AS (
          UPDATE jobs SET
            chunks_processed = GREATEST(chunks_processed, {1}),
            chunks_failed = GREATEST(chunks_failed, {2}),
            status = CASE WHEN status IN ('completed', 'failed', 'cancelled') THEN status ELSE {3} END,
            started_at = COALESCE(started_at, {4}),
            completed_at = COALESCE(completed_at, {5}),
            error = COALESCE(error, {6})
          WHERE id = {0}
          RETURNING id, status, error)
        """ + "\n" + DocumentsFollowJobs.Statement("{7}");

    /// <summary>Brings the job's document (if any) in step with the job's durable row, after a write that changed its state.</summary>
    private Task DocumentsFollowAsync(Guid jobId, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlRawAsync(DocumentsFollowSql, [jobId, now], cancellationToken);

    private static readonly string DocumentsFollowSql =
        "WITH job AS (SELECT id, status, error FROM jobs WHERE id = {0})\n" + DocumentsFollowJobs.Statement("{1}");

    /// <summary>
    /// Ends a job once its finalisation is done (see <c>finalize_job.lua</c>): completed, or failed when a chunk failed,
    /// with its one terminal event; then its PostgreSQL row says so. Safe to repeat: a finalisation delivered again
    /// finds the job ended and only makes sure the row is final too.
    /// </summary>
    /// <param name="failure">Why the finalisation itself gave up, if it did: the job then ends failed with that error.</param>
    public async Task<JobEnd> EndAsync(Guid jobId, TimeSpan finishedJobTtl, string? failure, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(JobScripts.FinalizeJob,
            [JobKeys.Hash(jobId), JobKeys.FinishedChunks(jobId), EventStream.Key],
            [jobId.ToString(), Iso(now), now.ToUnixTimeMilliseconds(), (long)finishedJobTtl.TotalSeconds,
                IngestionEventLog.RetainedEvents, EventStream.NotifyChannel, failure ?? ""]))!;
        var ending = result[0].ToString() switch
        {
            "ended" => JobEnding.Ended,
            "ended already" => JobEnding.EndedAlready,
            "cancelled" => JobEnding.Cancelled,
            "not done" => JobEnding.NotDone,
            _ => JobEnding.Unknown,
        };
        var end = new JobEnd(ending, result[1].ToString(), (int)result[2], (int)result[3], (int)result[4]);
        if (ending is JobEnding.Ended or JobEnding.EndedAlready)
        {
            var error = result[5].ToString();
            await WriteDurableCopyAsync(db, jobId, end.ChunksProcessed, end.ChunksFailed, end.Status, now, now,
                error.Length == 0 ? null : error, cancellationToken);
        }
        if (ending == JobEnding.Ended)
        {
            LogJobEnded(jobId, end.Status, end.ChunksProcessed, end.ChunksFailed, end.ChunksTotal);
        }
        return end;
    }

    /// <summary>
    /// Cancels a queued or processing job: it ends <c>cancelled</c> at once with an <c>ingestion.cancelled</c> event,
    /// and workers skip its chunks that have not been processed yet.
    /// </summary>
    /// <returns>The job's status before the call (<c>cancelled</c> when this call cancelled it), or null when unknown.</returns>
    public async Task<(string Previous, JobSnapshot Job)?> CancelAsync(Guid jobId, TimeSpan finishedJobTtl, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var previous = (string?)await redis.GetDatabase().ScriptEvaluateAsync(JobScripts.Cancel,
            [JobKeys.Hash(jobId), JobKeys.FinishedChunks(jobId), EventStream.Key, IngestionStream.Key],
            [jobId.ToString(), Iso(now), (long)finishedJobTtl.TotalSeconds, IngestionEventLog.RetainedEvents, EventStream.NotifyChannel,
                IngestionStream.WakeChannel]);
        if (previous is { Length: > 0 } && !JobStatus.IsTerminal(previous))
        {
            await db.Jobs.Where(j => j.Id == jobId && j.Status != JobStatus.Completed && j.Status != JobStatus.Failed)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, JobStatus.Cancelled).SetProperty(j => j.CompletedAt, now), cancellationToken);
            await DocumentsFollowAsync(jobId, now, cancellationToken);
            LogJobCancelled(jobId);
        }
        var job = await GetAsync(jobId, cancellationToken);
        return job is null ? null : (string.IsNullOrEmpty(previous) ? job.Status : previous, job);
    }

    /// <summary>
    /// Puts the job's dead-lettered chunks back on the queue with their original fields; each move and the
    /// un-counting of its failure is one atomic step. Works while the job's Redis copy exists (JobStatusTtl after it ends).
    /// </summary>
    /// <returns>How many chunks were re-queued, or null when Redis no longer has the job.</returns>
    public async Task<int?> RequeueDeadLetteredAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        if (!await database.KeyExistsAsync(JobKeys.Hash(jobId)))
        {
            return null;
        }
        var jobField = jobId.ToString();
        var requeued = 0;
        var after = "-";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var page = await database.StreamRangeAsync(IngestionStream.DeadLetterKey, minId: after, maxId: "+", count: 500);
            if (page.Length == 0) break;
            after = "(" + page[^1].Id;
            foreach (var entry in page.Where(e => e["job_id"] == jobField))
            {
                var original = entry.Values.Where(v => !IngestionStream.DeadLetterFields.IsDeadLetterField(v.Name!) && v.Name != ChunkMessage.AttemptField)
                    .SelectMany(v => new RedisValue[] { v.Name, v.Value });
                var moved = (int)await database.ScriptEvaluateAsync(JobScripts.Requeue,
                    [JobKeys.Hash(jobId), JobKeys.FinishedChunks(jobId), IngestionStream.Key, IngestionStream.DeadLetterKey, EventStream.Key],
                    [jobField, entry.Id, entry["chunk_index"], Iso(time.GetUtcNow()), IngestionEventLog.RetainedEvents, EventStream.NotifyChannel, .. original]);
                if (moved == 1) requeued++;
            }
        }
        if (requeued > 0)
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE jobs SET status = 'processing', completed_at = NULL, error = NULL,
                  chunks_failed = GREATEST(0, chunks_failed - {requeued})
                WHERE id = {jobId} AND status <> 'cancelled'
                """, cancellationToken);
            await DocumentsFollowAsync(jobId, time.GetUtcNow(), cancellationToken);
            await database.PublishAsync(RedisChannel.Literal(IngestionStream.WakeChannel), requeued, CommandFlags.FireAndForget);
            LogRequeued(jobId, requeued);
        }
        return requeued;
    }

    /// <summary>Chunks finished per second across all workers, over the last minute of completion buckets.</summary>
    public async Task<double> ProcessingRateAsync()
    {
        var nowSeconds = time.GetUtcNow().ToUnixTimeSeconds();
        const int window = 60 / JobKeys.RateBucketSeconds;
        // The current bucket is still filling, so the window is the previous full ones.
        var keys = Enumerable.Range(1, window)
            .Select(i => (RedisKey)JobKeys.CompletionBucket(nowSeconds - i * JobKeys.RateBucketSeconds))
            .ToArray();
        var values = await redis.GetDatabase().StringGetAsync(keys);
        var completed = values.Sum(v => v.IsNull ? 0 : (long)v);
        return Math.Round(completed / (double)(window * JobKeys.RateBucketSeconds), 2);
    }

    private static JobSnapshot FromHash(Guid jobId, Dictionary<string, string> f) => new(
        jobId,
        f.GetValueOrDefault("status") ?? JobStatus.Queued,
        f.GetValueOrDefault("source_type") ?? "",
        ParseInt(f, "chunks_total"),
        ParseInt(f, "chunks_processed"),
        ParseInt(f, "chunks_failed"),
        ParseTime(f, "created_at") ?? default,
        ParseTime(f, "started_at"),
        ParseTime(f, "completed_at"),
        f.GetValueOrDefault("error"));

    private static JobSnapshot ToSnapshot(JobRow row) => new(
        row.Id, row.Status, row.SourceType, row.ChunksTotal, row.ChunksProcessed, row.ChunksFailed,
        row.CreatedAt, row.StartedAt, row.CompletedAt, row.Error);

    private static int ParseInt(Dictionary<string, string> f, string name) =>
        int.TryParse(f.GetValueOrDefault(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static DateTimeOffset? ParseTime(Dictionary<string, string> f, string name) =>
        DateTimeOffset.TryParse(f.GetValueOrDefault(name), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var v) ? v : null;

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} queued with {ChunkCount} chunks from {SourceType}")]
    private partial void LogJobQueued(Guid jobId, int chunkCount, string sourceType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deletion job {JobId} queued for document {DocumentId}")]
    private partial void LogDeletionQueued(Guid jobId, string documentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Status}: {Processed} processed, {Failed} failed of {Total}")]
    private partial void LogJobEnded(Guid jobId, string status, int processed, int failed, int total);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} cancelled")]
    private partial void LogJobCancelled(Guid jobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Count} dead-lettered chunks re-queued")]
    private partial void LogRequeued(Guid jobId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} was recorded but could not be queued")]
    private partial void LogEnqueueFailed(Guid jobId, Exception exception);
}

/// <summary>One chunk's outcome for <see cref="JobStore.RecordOutcomesAsync"/>.</summary>
/// <param name="Acknowledge">The chunk's stream entry, acknowledged with the outcome; null to leave it alone.</param>
public readonly record struct ChunkOutcomeToRecord(Guid JobId, int ChunkIndex, bool Succeeded, string? Error, RedisValue Acknowledge = default);

/// <summary>What <see cref="JobStore.BeginChunksAsync"/> found for a job.</summary>
public enum ChunkStart
{
    /// <summary>This was the job's first chunk: the job is now started.</summary>
    First,
    /// <summary>The job had already started (or Redis no longer knows it): run the chunk.</summary>
    Continued,
    /// <summary>The job was cancelled: acknowledge the chunk without running it.</summary>
    Cancelled,
}

/// <summary>The job was recorded but Redis did not take its chunks; the client must be told to resubmit.</summary>
public sealed class JobNotQueuedException(Guid jobId, Exception inner)
    : Exception($"Job {jobId} could not be queued.", inner)
{
    public Guid JobId { get; } = jobId;
}
