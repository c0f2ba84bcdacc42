using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Shield.Workers.Pool;

namespace Shield.Bench;

/// <summary>
/// What the harness observes of the real code path, without changing it:
/// <list type="bullet">
/// <item>enqueue time: when the job's PostgreSQL row is saved, i.e. the instant JobStore.CreateAsync moves on to the
/// Redis MULTI/EXEC that puts the chunks on the stream (an EF Core SaveChanges interceptor);</item>
/// <item>processing start: the swapped IChunkProcessor is entered;</item>
/// <item>done: the Workers' own consumer activity ends (ActivityListener on the "Shield" source), which is after
/// the outcome was recorded in Redis and PostgreSQL and the entry acknowledged;</item>
/// <item>time spent in PostgreSQL commands (a DbCommand interceptor).</item>
/// </list>
/// </summary>
public sealed class Probe : IDisposable
{
    private readonly ConcurrentDictionary<(Guid Job, int Index), Timing> _timings = new();
    private readonly ActivityListener _listener;
    private long _done;
    private long _expected = long.MaxValue;
    private TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pgTicks;
    private long _pgCommands;

    public Probe()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The timestamp stamped on the chunks of the job currently being enqueued (the harness enqueues one at a time).</summary>
    public long LastRowSaved;

    public SaveChangesInterceptor SaveInterceptor => new SavedInterceptor(this);
    public DbCommandInterceptor CommandInterceptor => new CommandTimer(this);

    public void Expect(long count)
    {
        Interlocked.Exchange(ref _done, 0);
        _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _expected, count);
    }

    public Task AllDone => _allDone.Task;
    public long Done => Volatile.Read(ref _done);

    public void Register(Guid job, int chunks)
    {
        for (var i = 0; i < chunks; i++)
        {
            _timings[(job, i)] = new Timing { Enqueued = long.MaxValue };
        }
    }

    public void Enqueued(Guid job, int chunks, long timestamp)
    {
        for (var i = 0; i < chunks; i++)
        {
            _timings[(job, i)].Enqueued = timestamp;
        }
    }

    public void ProcessingStarted(Guid job, int index)
    {
        if (_timings.TryGetValue((job, index), out var t)) Interlocked.CompareExchange(ref t.Started, Stopwatch.GetTimestamp(), 0);
    }

    public void ProcessingEnded(Guid job, int index)
    {
        if (_timings.TryGetValue((job, index), out var t)) Interlocked.CompareExchange(ref t.ProcessEnded, Stopwatch.GetTimestamp(), 0);
    }

    private void OnStopped(Activity activity)
    {
        if (activity.GetTagItem("shield.job_id") is not string jobText || !Guid.TryParse(jobText, out var job)
            || activity.GetTagItem("shield.chunk_index") is not int index
            || !_timings.TryGetValue((job, index), out var t))
        {
            return;
        }
        if (Interlocked.CompareExchange(ref t.Finished, Stopwatch.GetTimestamp(), 0) == 0
            && Interlocked.Increment(ref _done) >= Volatile.Read(ref _expected))
        {
            _allDone.TrySetResult();
        }
    }

    public IReadOnlyList<Timing> TimingsOf(IEnumerable<Guid> jobs)
    {
        var set = jobs.ToHashSet();
        return [.. _timings.Where(kv => set.Contains(kv.Key.Job)).Select(kv => kv.Value)];
    }

    /// <summary>The earliest processing start among the jobs' chunks.</summary>
    public long FirstStarted(IEnumerable<Guid> jobs) =>
        TimingsOf(jobs).Select(t => t.Started).Where(s => s > 0).DefaultIfEmpty(0).Min();

    public (double Milliseconds, long Commands) TakePostgres()
    {
        var ticks = Interlocked.Exchange(ref _pgTicks, 0);
        var commands = Interlocked.Exchange(ref _pgCommands, 0);
        return (ticks * 1000.0 / Stopwatch.Frequency, commands);
    }

    public void Dispose() => _listener.Dispose();

    public sealed class Timing
    {
        public long Enqueued;
        public long Started;
        public long ProcessEnded;
        public long Finished;
    }

    private sealed class SavedInterceptor(Probe probe) : SaveChangesInterceptor
    {
        public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            Volatile.Write(ref probe.LastRowSaved, Stopwatch.GetTimestamp());
            return ValueTask.FromResult(result);
        }
    }

    private sealed class CommandTimer(Probe probe) : DbCommandInterceptor
    {
        private static readonly AsyncLocal<long> Started = new();

        private static void Begin() => Started.Value = Stopwatch.GetTimestamp();

        private void End()
        {
            Interlocked.Add(ref probe._pgTicks, Stopwatch.GetTimestamp() - Started.Value);
            Interlocked.Increment(ref probe._pgCommands);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Begin();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            End();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Begin();
            return ValueTask.FromResult(result);
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            End();
            return ValueTask.FromResult(result);
        }
    }
}
