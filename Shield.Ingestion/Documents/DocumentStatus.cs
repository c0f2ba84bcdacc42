namespace Shield.Ingestion.Documents;

/// <summary>
/// A document's states, LightRAG's plus one: pending (accepted, its job queued) → processing (its job started) →
/// processed | failed (its job ended); deleting while a deletion runs. A document follows its latest ingest job.
/// </summary>
public static class DocumentStatus
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Processed = "processed";
    public const string Failed = "failed";
    public const string Deleting = "deleting";

    public static IReadOnlyList<string> All { get; } = [Pending, Processing, Processed, Failed, Deleting];
}

/// <summary>What a document's job does (<c>document_jobs.kind</c>).</summary>
public static class DocumentJobKind
{
    public const string Ingest = "ingest";
    public const string Delete = "delete";
}
