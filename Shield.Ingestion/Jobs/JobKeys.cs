namespace Shield.Ingestion.Jobs;

/// <summary>Redis keys of a job's fast copy.</summary>
public static class JobKeys
{
    public static string Hash(Guid jobId) => $"shield:job:{jobId}";

    /// <summary>Indexes of the job's chunks that have an outcome; the set is what makes counting idempotent.</summary>
    public static string FinishedChunks(Guid jobId) => $"shield:job:{jobId}:finished";

    /// <summary>Completions per <see cref="RateBucketSeconds"/>-second bucket, summed across all workers.</summary>
    public static string CompletionBucket(long unixSeconds) => $"shield:stats:completed:{unixSeconds / RateBucketSeconds}";

    public const int RateBucketSeconds = 5;
}
