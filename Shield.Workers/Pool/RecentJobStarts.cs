using System.Collections.Concurrent;
using Shield.Ingestion.Jobs;

namespace Shield.Workers.Pool;

/// <summary>
/// What beginning a job found (cancelled or not; started), remembered by this process for
/// <see cref="Lifetime"/>. A running job's batches then cost no round trip before their chunks run, and a job
/// cancelled meanwhile is still noticed within about a second: its later chunks are skipped.
/// </summary>
public sealed class RecentJobStarts(TimeProvider time)
{
    /// <summary>How old an answer may be when a chunk of its job starts; older ones are asked again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    /// <summary>Above this many remembered jobs, expired answers are dropped (a busy process sees many small jobs).</summary>
    private const int PruneAbove = 1024;

    private readonly ConcurrentDictionary<Guid, (ChunkStart Start, long CheckedAt)> _starts = new();

    /// <summary>The job's answer when it is younger than <see cref="Lifetime"/>.</summary>
    public bool TryGetFresh(Guid jobId, out ChunkStart start)
    {
        if (_starts.TryGetValue(jobId, out var known) && time.GetElapsedTime(known.CheckedAt) <= Lifetime)
        {
            start = known.Start;
            return true;
        }
        start = default;
        return false;
    }

    /// <summary>
    /// Remembers what beginning the job found at <paramref name="checkedAt"/>. A job this call started is
    /// remembered as <see cref="ChunkStart.Continued"/>: only one chunk is its first.
    /// </summary>
    public void Remember(Guid jobId, ChunkStart start, long checkedAt)
    {
        if (_starts.Count > PruneAbove)
        {
            foreach (var (id, known) in _starts)
            {
                if (time.GetElapsedTime(known.CheckedAt) > Lifetime) _starts.TryRemove(id, out _);
            }
        }
        _starts[jobId] = (start == ChunkStart.First ? ChunkStart.Continued : start, checkedAt);
    }
}
