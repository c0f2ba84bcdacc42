namespace Shield.Ingestion.Jobs;

/// <summary>A validated submission: the job's identity and the chunks to enqueue.</summary>
public sealed record NewJob(Guid JobId, string SourceType, string MetadataJson, IReadOnlyList<NewChunk> Chunks);

/// <summary>One chunk of a validated submission; its metadata is already merged over the job's.</summary>
public sealed record NewChunk(string Text, string SourceUri, string MetadataJson);
