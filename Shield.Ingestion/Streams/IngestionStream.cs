namespace Shield.Ingestion.Streams;

/// <summary>Redis keys and names of the ingestion queue, shared by the producer (Api) and the consumers (Workers).</summary>
public static class IngestionStream
{
    /// <summary>The stream every accepted chunk is appended to.</summary>
    public const string Key = "shield:ingestion_queue";

    /// <summary>The consumer group of the worker pool.</summary>
    public const string ConsumerGroup = "lightrag-workers";

    /// <summary>
    /// Published after chunks are appended. StackExchange.Redis cannot issue a blocking XREADGROUP on its
    /// multiplexed connection, so idle consumers wait on this channel instead of polling.
    /// </summary>
    public const string WakeChannel = "shield:ingestion_queue:wake";

    /// <summary>Where chunks go once they have used up their attempts.</summary>
    public const string DeadLetterKey = "shield:ingestion_dlq";

    /// <summary>What a dead-letter entry adds to the chunk's original fields (removed again when it is re-queued).</summary>
    public static class DeadLetterFields
    {
        public const string Error = "error";
        public const string Attempts = "attempts";
        public const string OriginalId = "original_id";
        public const string FailedAt = "failed_at";

        public static bool IsDeadLetterField(string name) => name is Error or Attempts or OriginalId or FailedAt;
    }
}
