using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Time.Testing;
using Shield.Contracts.Events;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Events;
using Shield.Ingestion.Jobs;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Contracts;

/// <summary>
/// The job events are written by Lua scripts in Redis as JSON text, out of the compiler's sight. Here every kind of
/// job event the scripts write (and the one the job store writes in C#) is read back from the real event stream
/// into the contract records clients use, strictly: a field the scripts name differently from the contract, a field
/// the contract does not know, or one it needs that is missing, fails the test.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class EventContractTests(ShieldStackFixture stack) : IAsyncLifetime
{
    private static readonly TimeSpan FinishedJobTtl = TimeSpan.FromMinutes(10);

    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private IsolatedJobStore _isolated = null!;
    private JobStore Store => _isolated.Store;

    // Redis database 2: no worker reads there, and the job store tests use database 1.
    public async Task InitializeAsync() => _isolated = await IsolatedJobStore.CreateAsync(stack, database: 2, _clock);

    public async Task DisposeAsync() => await _isolated.DisposeAsync();

    [Fact]
    public async Task Every_job_event_the_scripts_write_reads_strictly_into_its_contract_record()
    {
        var failing = await CreateAsync(chunks: 3);
        var completing = await CreateAsync(chunks: 1);
        var cancelled = await CreateAsync(chunks: 2);
        await Store.BeginChunksAsync([failing, completing, cancelled], CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await Store.RecordOutcomesAsync(
        [
            new(failing, 0, Succeeded: true, Error: null, default),
            new(failing, 1, Succeeded: false, Error: "ValueError: bad chunk", default),
            new(completing, 0, Succeeded: true, Error: null, default),
            new(failing, 2, Succeeded: true, Error: null, default),
        ], FinishedJobTtl, CancellationToken.None);
        // The terminal events come from the job's end, once its finalisation is done (finalize_job.lua).
        await Store.EndAsync(failing, FinishedJobTtl, failure: null, CancellationToken.None);
        await Store.EndAsync(completing, FinishedJobTtl, failure: null, CancellationToken.None);
        await Store.CancelAsync(cancelled, FinishedJobTtl, CancellationToken.None);

        var events = new List<(IngestionEvent Event, object Data)>();
        foreach (var entry in await _isolated.Redis.StreamRangeAsync(EventStream.Key))
        {
            var e = JsonSerializer.Deserialize<IngestionEvent>(entry[EventStream.PayloadField].ToString(), Strict)!;
            Assert.Equal(entry[EventStream.TypeField].ToString(), e.EventType);
            Assert.Equal(entry[EventStream.JobField].ToString(), e.JobId.ToString());
            Assert.Contains(e.Timestamp, new[] { _clock.GetUtcNow().AddSeconds(-2), _clock.GetUtcNow() });
            var type = EventPayloads.TypeOf(e.EventType) ?? throw new Xunit.Sdk.XunitException($"No contract for {e.EventType}");
            events.Add((e, e.Data.Deserialize(type, Strict)!));
        }

        string[] jobEvents = [EventTypes.Queued, EventTypes.Started, EventTypes.Progress, EventTypes.Completed, EventTypes.Failed, EventTypes.Cancelled];
        Assert.Equal(jobEvents.Order(StringComparer.Ordinal), events.Select(e => e.Event.EventType).Distinct().Order(StringComparer.Ordinal));

        Assert.Equal(
        [
            new JobQueuedData(3, "contract"),
            new JobStartedData(3),
            new JobProgressData(1, 0, 3, 33.33),
            new JobProgressData(1, 1, 3, 66.67),
            new JobProgressData(2, 1, 3, 100),
            new JobFinishedData(2, 1, 3, 2, "ValueError: bad chunk"),
        ], Of(failing));
        Assert.Equal([new JobQueuedData(1, "contract"), new JobStartedData(1), new JobProgressData(1, 0, 1, 100), new JobFinishedData(1, 0, 1, 2)], Of(completing));
        Assert.Equal([new JobQueuedData(2, "contract"), new JobStartedData(2), new JobCancelledData(0, 0, 2)], Of(cancelled));
        Assert.Equal(JobStatus.Failed, EventTypes.TerminalStatus(events.Last(e => e.Event.JobId == failing).Event.EventType));

        List<object> Of(Guid job) => [.. events.Where(e => e.Event.JobId == job).Select(e => e.Data)];
    }

    private async Task<Guid> CreateAsync(int chunks)
    {
        var job = new NewJob(Guid.CreateVersion7(), "contract", "{}",
            [.. Enumerable.Range(0, chunks).Select(i => new NewChunk($"Contract chunk {i} {Guid.NewGuid():N}", $"test://{i}", "{}"))]);
        await Store.CreateAsync(job, CancellationToken.None);
        return job.JobId;
    }
}
