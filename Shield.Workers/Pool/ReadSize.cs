namespace Shield.Workers.Pool;

/// <summary>
/// How many entries a consumer asks for in its next read. While chunks take real time (model calls, embeddings:
/// milliseconds to seconds) it is <see cref="WorkerOptions.BatchSize"/>, so no consumer holds more slow chunks than
/// that while others could run them. While its chunks take microseconds (fast models, tiny chunks) a batch of that
/// size is over before its round trip is paid off, so the read grows — at most doubling per batch — towards what
/// fits in <see cref="TargetBatchDuration"/>, up to <see cref="WorkerOptions.MaxBatchSize"/>; one slower batch
/// brings it straight back down.
/// </summary>
public sealed class ReadSize(int batchSize, int maxBatchSize)
{
    /// <summary>About how long a consumer's batch may take before it reads again.</summary>
    public static readonly TimeSpan TargetBatchDuration = TimeSpan.FromMilliseconds(10);

    private readonly int _min = batchSize;
    private readonly int _max = Math.Max(batchSize, maxBatchSize);

    public int Next { get; private set; } = batchSize;

    /// <summary>
    /// Records a batch: <paramref name="chunksRun"/> chunks were run (skipped ones, such as a cancelled job's, do not
    /// count: they say nothing about how long the next chunks take) in <paramref name="elapsed"/>.
    /// </summary>
    public void Observe(int chunksRun, TimeSpan elapsed)
    {
        if (chunksRun == 0)
        {
            return;
        }
        var perChunk = elapsed / chunksRun;
        var fits = perChunk <= TimeSpan.Zero ? _max : (int)Math.Clamp(TargetBatchDuration / perChunk, _min, _max);
        Next = fits < Next ? fits : Math.Min(fits, Next * 2);
    }
}
