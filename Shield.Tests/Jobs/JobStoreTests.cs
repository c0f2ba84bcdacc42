using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Events;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shield.Tests.Jobs;

/// <summary>
/// The job store against the stack's real Redis and PostgreSQL. It works in Redis database 1, where no worker
/// reads, so the test alone decides when chunks finish (and a clock it controls decides what time it is).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class JobStoreTests(ShieldStackFixture stack) : IAsyncLifetime
{
    private static readonly TimeSpan FinishedJobTtl = TimeSpan.FromMinutes(10);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private IsolatedJobStore _isolated = null!;
    private JobStore _store = null!;
    private ShieldDbContext _db = null!;
    private IDatabase Redis => _isolated.Redis;

    public async Task InitializeAsync()
    {
        _isolated = await IsolatedJobStore.CreateAsync(stack, database: 1, _clock);
        (_store, _db) = (_isolated.Store, _isolated.Db);
    }

    public async Task DisposeAsync() => await _isolated.DisposeAsync();

    private static NewJob Job(int chunks, string sourceType = "unit") => new(
        Guid.CreateVersion7(), sourceType, """{"team":"search"}""",
        [.. Enumerable.Range(0, chunks).Select(i => new NewChunk($"Chunk number {i}", $"test://{i}", "{}"))]);

    private async Task<List<JsonElement>> EventsOfAsync(Guid jobId) =>
        [.. (await Redis.StreamRangeAsync(EventStream.Key))
            .Where(e => e[EventStream.JobField] == jobId.ToString())
            .Select(e => JsonDocument.Parse(e[EventStream.PayloadField].ToString()).RootElement)];

    [Fact]
    public async Task Create_records_the_job_in_both_stores_and_puts_every_chunk_on_the_stream_in_order()
    {
        var job = Job(chunks: 3);

        var snapshot = await _store.CreateAsync(job, CancellationToken.None);

        Assert.Equal(JobStatus.Queued, snapshot.Status);
        var row = await _db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.JobId);
        Assert.Equal((JobStatus.Queued, 3, "unit"), (row.Status, row.ChunksTotal, row.SourceType));
        Assert.Equal("queued", (string?)await Redis.HashGetAsync(JobKeys.Hash(job.JobId), "status"));
        Assert.Null(await Redis.KeyTimeToLiveAsync(JobKeys.Hash(job.JobId)));

        var entries = await Redis.StreamRangeAsync(IngestionStream.Key);
        var messages = entries.Select(e => ChunkMessage.FromStreamEntry(e, out _)!).Where(m => m.JobId == job.JobId).ToList();
        Assert.Equal([0, 1, 2], messages.Select(m => m.ChunkIndex));
        Assert.Equal(["Chunk number 0", "Chunk number 1", "Chunk number 2"], messages.Select(m => m.Text));
        Assert.All(messages, m => Assert.Equal(ChunkIds.ForContent(m.Text), m.ChunkId));

        var events = await EventsOfAsync(job.JobId);
        Assert.Equal(["ingestion.queued"], events.Select(e => e.GetProperty("event_type").GetString()));
    }

    [Fact]
    public async Task Only_the_first_chunk_to_start_emits_the_started_event()
    {
        var job = Job(chunks: 2);
        await _store.CreateAsync(job, CancellationToken.None);

        var first = await _store.MarkStartedAsync(job.JobId, CancellationToken.None);
        var second = await _store.MarkStartedAsync(job.JobId, CancellationToken.None);

        Assert.True(first);
        Assert.False(second);
        var events = await EventsOfAsync(job.JobId);
        Assert.Single(events, e => e.GetProperty("event_type").GetString() == "ingestion.started");
        var row = await _db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.JobId);
        Assert.Equal(JobStatus.Processing, row.Status);
        Assert.Equal(_clock.GetUtcNow(), row.StartedAt);
    }

    [Fact]
    public async Task A_redelivered_chunk_is_counted_once_and_the_job_ends_exactly_once()
    {
        var job = Job(chunks: 3);
        await _store.CreateAsync(job, CancellationToken.None);
        await _store.MarkStartedAsync(job.JobId, CancellationToken.None);

        var outcomes = new List<ChunkOutcome>();
        foreach (var index in new[] { 0, 1, 1, 0, 2, 2 })
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            outcomes.Add(await _store.RecordOutcomeAsync(job.JobId, index, succeeded: true, error: null, FinishedJobTtl, CancellationToken.None));
        }

        Assert.Equal(
            [OutcomeDisposition.Recorded, OutcomeDisposition.Recorded, OutcomeDisposition.Duplicate,
             OutcomeDisposition.Duplicate, OutcomeDisposition.Recorded, OutcomeDisposition.Duplicate],
            outcomes.Select(o => o.Disposition));
        Assert.Single(outcomes, o => o.LastChunk);

        // The last chunk does not end the job: it queues the job's finalisation, once.
        var running = (await _store.GetAsync(job.JobId, CancellationToken.None))!;
        Assert.Equal((JobStatus.Processing, 3, 0, 100.0), (running.Status, running.ChunksProcessed, running.ChunksFailed, running.PercentComplete));
        Assert.Equal([job.JobId], await FinalizationsOnTheStreamAsync());

        var ending = await _store.EndAsync(job.JobId, FinishedJobTtl, failure: null, CancellationToken.None);
        var repeat = await _store.EndAsync(job.JobId, FinishedJobTtl, failure: null, CancellationToken.None);

        Assert.Equal((JobEnding.Ended, JobEnding.EndedAlready), (ending.Ending, repeat.Ending));
        var snapshot = (await _store.GetAsync(job.JobId, CancellationToken.None))!;
        Assert.Equal((JobStatus.Completed, 3, 0, 100.0), (snapshot.Status, snapshot.ChunksProcessed, snapshot.ChunksFailed, snapshot.PercentComplete));

        var types = (await EventsOfAsync(job.JobId)).Select(e => e.GetProperty("event_type").GetString()).ToList();
        Assert.Equal(["ingestion.queued", "ingestion.started", "ingestion.progress", "ingestion.progress", "ingestion.progress", "ingestion.completed"], types);

        var row = await _db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.JobId);
        Assert.Equal((JobStatus.Completed, 3, 0), (row.Status, row.ChunksProcessed, row.ChunksFailed));
        Assert.NotNull(row.CompletedAt);
    }

    private async Task<List<Guid>> FinalizationsOnTheStreamAsync() =>
        [.. (await Redis.StreamRangeAsync(IngestionStream.Key))
            .Select(e => FinalizeMessage.TryRead(e, out var message) ? message : null).OfType<FinalizeMessage>().Select(m => m.JobId)];

    [Fact]
    public async Task A_cancelled_job_is_still_finalised_and_a_retried_one_is_ended_by_its_next_last_chunk()
    {
        var cancelled = Job(chunks: 2);
        await _store.CreateAsync(cancelled, CancellationToken.None);
        await _store.RecordOutcomeAsync(cancelled.JobId, 0, true, null, FinishedJobTtl, CancellationToken.None);
        await _store.CancelAsync(cancelled.JobId, FinishedJobTtl, CancellationToken.None);

        // What its first chunk merged is finalised, but the job stays cancelled with no other terminal event.
        Assert.Contains(cancelled.JobId, await FinalizationsOnTheStreamAsync());
        Assert.Equal(JobEnding.Cancelled, (await _store.EndAsync(cancelled.JobId, FinishedJobTtl, null, CancellationToken.None)).Ending);
        Assert.Equal(["ingestion.queued", "ingestion.progress", "ingestion.cancelled"],
            (await EventsOfAsync(cancelled.JobId)).Select(e => e.GetProperty("event_type").GetString()));

        // A finalisation that finds chunks outstanding again (re-queued after it was queued) ends nothing.
        var retried = Job(chunks: 1);
        await _store.CreateAsync(retried, CancellationToken.None);
        await _store.MarkStartedAsync(retried.JobId, CancellationToken.None);
        await _store.RecordOutcomeAsync(retried.JobId, 0, true, null, FinishedJobTtl, CancellationToken.None);
        await Redis.HashSetAsync(JobKeys.Hash(retried.JobId), "chunks_processed", 0);
        Assert.Equal(JobEnding.NotDone, (await _store.EndAsync(retried.JobId, FinishedJobTtl, null, CancellationToken.None)).Ending);
        Assert.Equal(JobStatus.Processing, (await _store.GetAsync(retried.JobId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task A_finalisation_that_gives_up_ends_the_job_failed_with_its_reason()
    {
        var job = Job(chunks: 1);
        await _store.CreateAsync(job, CancellationToken.None);
        await _store.RecordOutcomeAsync(job.JobId, 0, true, null, FinishedJobTtl, CancellationToken.None);

        var end = await _store.EndAsync(job.JobId, FinishedJobTtl, "The job's finalisation failed 3 times: embedding model down", CancellationToken.None);

        Assert.Equal((JobEnding.Ended, JobStatus.Failed), (end.Ending, end.Status));
        var terminal = (await EventsOfAsync(job.JobId)).Last();
        Assert.Equal("ingestion.failed", terminal.GetProperty("event_type").GetString());
        Assert.Equal("The job's finalisation failed 3 times: embedding model down", terminal.GetProperty("data").GetProperty("error").GetString());
        Assert.Equal(JobStatus.Failed, (await _db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.JobId)).Status);
    }

    [Fact]
    public async Task One_call_records_interleaved_outcomes_of_several_jobs_each_as_its_own()
    {
        var first = Job(chunks: 2);
        var second = Job(chunks: 3);
        await _store.CreateAsync(first, CancellationToken.None);
        await _store.CreateAsync(second, CancellationToken.None);
        await _store.BeginChunksAsync([first.JobId, second.JobId], CancellationToken.None);
        await Redis.StreamCreateConsumerGroupAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, "0-0");
        var delivered = (await Redis.StreamReadGroupAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, "test-consumer", ">", 10))
            .ToDictionary(e => (ChunkMessage.FromStreamEntry(e, out _)!.JobId, ChunkMessage.FromStreamEntry(e, out _)!.ChunkIndex), e => e.Id);

        var outcomes = await _store.RecordOutcomesAsync(
        [
            new(second.JobId, 0, Succeeded: true, Error: null, delivered[(second.JobId, 0)]),
            new(first.JobId, 0, Succeeded: true, Error: null, delivered[(first.JobId, 0)]),
            new(second.JobId, 0, Succeeded: true, Error: null, delivered[(second.JobId, 0)]),
            new(second.JobId, 1, Succeeded: false, Error: "ValueError: bad chunk", delivered[(second.JobId, 1)]),
            new(first.JobId, 1, Succeeded: true, Error: null, delivered[(first.JobId, 1)]),
        ], FinishedJobTtl, CancellationToken.None);

        Assert.Equal(
            [OutcomeDisposition.Recorded, OutcomeDisposition.Recorded, OutcomeDisposition.Duplicate,
             OutcomeDisposition.Recorded, OutcomeDisposition.Recorded],
            outcomes.Select(o => o.Disposition));
        Assert.Equal([false, false, false, false, true], outcomes.Select(o => o.LastChunk));
        // Every entry is acknowledged in the same step: the first job's end is its finalisation's to record.
        Assert.Equal([true, true, true, true, true], outcomes.Select(o => o.Acknowledged));
        var pending = await Redis.StreamPendingMessagesAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, 10, "test-consumer");
        Assert.Equal([delivered[(second.JobId, 2)]], pending.Select(p => p.MessageId));   // the second job's chunk 2 has no outcome yet
        Assert.Equal([first.JobId], await FinalizationsOnTheStreamAsync());
        await _store.EndAsync(first.JobId, FinishedJobTtl, null, CancellationToken.None);

        var secondProgress = (await EventsOfAsync(second.JobId))
            .Where(e => e.GetProperty("event_type").GetString() == "ingestion.progress").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal([(1, 0, 3, 33.33), (1, 1, 3, 66.67)], secondProgress.Select(d => (
            d.GetProperty("chunks_processed").GetInt32(), d.GetProperty("chunks_failed").GetInt32(),
            d.GetProperty("chunks_total").GetInt32(), d.GetProperty("percent_complete").GetDouble())));
        var firstTypes = (await EventsOfAsync(first.JobId)).Select(e => e.GetProperty("event_type").GetString());
        Assert.Equal(["ingestion.queued", "ingestion.started", "ingestion.progress", "ingestion.progress", "ingestion.completed"], firstTypes);

        var rows = await _db.Jobs.AsNoTracking().Where(j => j.Id == first.JobId || j.Id == second.JobId).ToDictionaryAsync(j => j.Id);
        Assert.Equal((JobStatus.Completed, 2, 0, (string?)null), (rows[first.JobId].Status, rows[first.JobId].ChunksProcessed, rows[first.JobId].ChunksFailed, rows[first.JobId].Error));
        Assert.Equal((JobStatus.Processing, 1, 1, (string?)"ValueError: bad chunk"), (rows[second.JobId].Status, rows[second.JobId].ChunksProcessed, rows[second.JobId].ChunksFailed, rows[second.JobId].Error));
    }

    [Fact]
    public async Task The_redis_copy_expires_only_after_the_job_finishes()
    {
        var job = Job(chunks: 2);
        await _store.CreateAsync(job, CancellationToken.None);

        await _store.RecordOutcomeAsync(job.JobId, 0, true, null, FinishedJobTtl, CancellationToken.None);
        Assert.Null(await Redis.KeyTimeToLiveAsync(JobKeys.Hash(job.JobId)));

        await _store.RecordOutcomeAsync(job.JobId, 1, true, null, FinishedJobTtl, CancellationToken.None);
        Assert.Null(await Redis.KeyTimeToLiveAsync(JobKeys.Hash(job.JobId)));   // finalising still

        await _store.EndAsync(job.JobId, FinishedJobTtl, null, CancellationToken.None);
        var ttl = await Redis.KeyTimeToLiveAsync(JobKeys.Hash(job.JobId));
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, FinishedJobTtl - TimeSpan.FromSeconds(30), FinishedJobTtl);
    }

    [Fact]
    public async Task A_failed_chunk_ends_the_job_failed_with_its_error_once_all_chunks_are_done()
    {
        var job = Job(chunks: 2);
        await _store.CreateAsync(job, CancellationToken.None);

        var failed = await _store.RecordOutcomeAsync(job.JobId, 0, false, "TimeoutException: model did not answer", FinishedJobTtl, CancellationToken.None);
        Assert.False(failed.LastChunk);
        Assert.Equal(JobStatus.Queued, failed.Status);
        var last = await _store.RecordOutcomeAsync(job.JobId, 1, true, null, FinishedJobTtl, CancellationToken.None);

        Assert.True(last.LastChunk);
        await _store.EndAsync(job.JobId, FinishedJobTtl, null, CancellationToken.None);
        var snapshot = (await _store.GetAsync(job.JobId, CancellationToken.None))!;
        Assert.Equal((JobStatus.Failed, 1, 1), (snapshot.Status, snapshot.ChunksProcessed, snapshot.ChunksFailed));
        Assert.Equal("TimeoutException: model did not answer", snapshot.Error);
        var terminal = (await EventsOfAsync(job.JobId)).Last();
        Assert.Equal("ingestion.failed", terminal.GetProperty("event_type").GetString());
        Assert.Equal("TimeoutException: model did not answer", terminal.GetProperty("data").GetProperty("error").GetString());
    }

    [Fact]
    public async Task After_the_redis_copy_expires_the_job_is_read_from_postgresql()
    {
        var job = Job(chunks: 2);
        await _store.CreateAsync(job, CancellationToken.None);
        await _store.MarkStartedAsync(job.JobId, CancellationToken.None);
        await _store.RecordOutcomeAsync(job.JobId, 0, true, null, FinishedJobTtl, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(3));
        await _store.RecordOutcomeAsync(job.JobId, 1, true, null, FinishedJobTtl, CancellationToken.None);
        await _store.EndAsync(job.JobId, FinishedJobTtl, null, CancellationToken.None);
        var fromRedis = (await _store.GetAsync(job.JobId, CancellationToken.None))!;

        await Redis.KeyDeleteAsync(JobKeys.Hash(job.JobId));
        var fromPostgres = (await _store.GetAsync(job.JobId, CancellationToken.None))!;

        Assert.Equal(fromRedis.Status, fromPostgres.Status);
        Assert.Equal(fromRedis.ChunksProcessed, fromPostgres.ChunksProcessed);
        Assert.Equal(fromRedis.PercentComplete, fromPostgres.PercentComplete);
        Assert.Equal(fromRedis.CreatedAt, fromPostgres.CreatedAt);
        Assert.Equal(fromRedis.StartedAt, fromPostgres.StartedAt);
        Assert.Equal(fromRedis.CompletedAt, fromPostgres.CompletedAt);
    }

    [Fact]
    public async Task Processing_rate_is_measured_from_completions_in_the_last_minute()
    {
        var job = Job(chunks: 12);
        await _store.CreateAsync(job, CancellationToken.None);
        for (var i = 0; i < 12; i++)
        {
            await _store.RecordOutcomeAsync(job.JobId, i, true, null, FinishedJobTtl, CancellationToken.None);
        }

        _clock.Advance(TimeSpan.FromSeconds(JobKeys.RateBucketSeconds));
        Assert.Equal(Math.Round(12 / 60.0, 2), await _store.ProcessingRateAsync());

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, await _store.ProcessingRateAsync());
    }
}
