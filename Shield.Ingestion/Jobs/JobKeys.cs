namespace Shield.Ingestion.Jobs;

/// <summary>Redis keys of a job's fast copy.</summary>
public static class JobKeys
{
    public static string Hash(Guid jobId) => HashPrefix + jobId.ToString();

    /// <summary>Lua scripts that read entries name a job's hash from the entry's <c>job_id</c> with this prefix.</summary>
    public const string HashPrefix = "shield:job:";

    /// <summary>Indexes of the job's chunks that have an outcome; the set is what makes counting idempotent.</summary>
    public static string FinishedChunks(Guid jobId) => $"shield:job:{jobId}:finished";

    /// <summary>Completions per <see cref="RateBucketSeconds"/>-second bucket, summed across all workers.</summary>
    public static string CompletionBucket(long unixSeconds) => $"shield:stats:completed:{unixSeconds / RateBucketSeconds}";

    public const int RateBucketSeconds = 5;
}
