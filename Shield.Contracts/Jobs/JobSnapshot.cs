using System.Text.Json.Serialization;

namespace Shield.Contracts.Jobs;

/// <summary>What <c>GET /jobs/{job_id}</c> answers: the plan's fields plus timing, failures and the error.</summary>
public sealed record JobSnapshot(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("source_type")] string SourceType,
    [property: JsonPropertyName("chunks_total")] int ChunksTotal,
    [property: JsonPropertyName("chunks_processed")] int ChunksProcessed,
    [property: JsonPropertyName("chunks_failed")] int ChunksFailed,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("started_at")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("completed_at")] DateTimeOffset? CompletedAt,
    [property: JsonPropertyName("error")] string? Error)
{
    /// <summary>Share of chunks handled (processed or failed), rounded to two decimals as the plan does.</summary>
    [JsonPropertyName("percent_complete")]
    public double PercentComplete => PercentOf(ChunksProcessed + ChunksFailed, ChunksTotal);

    [JsonIgnore]
    public bool IsFinished => JobStatus.IsTerminal(Status);

    public static double PercentOf(int done, int total) =>
        total <= 0 ? 0 : Math.Round(done * 100.0 / total, 2, MidpointRounding.AwayFromZero);
}

/// <summary>The 202 answer to <c>POST /jobs/{job_id}/retry</c>.</summary>
public sealed record RetryAccepted(
    [property: JsonPropertyName("job_id")] Guid JobId,
    [property: JsonPropertyName("chunks_requeued")] int ChunksRequeued,
    [property: JsonPropertyName("status_url")] string StatusUrl);
