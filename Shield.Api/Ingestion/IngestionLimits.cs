using System.ComponentModel.DataAnnotations;

namespace Shield.Api.Ingestion;

/// <summary>
/// Limits on one submission (section <c>Shield:Ingestion</c>). The defaults fit LightRAG-sized chunks
/// (1,200 tokens is about 5 KB of English) with generous headroom, and keep one request's Redis footprint bounded.
/// </summary>
public sealed class IngestionLimits
{
    public const string SectionName = "Shield:Ingestion";

    /// <summary>Chunks in one request.</summary>
    [Range(1, 100_000)]
    public int MaxChunksPerRequest { get; set; } = 1000;

    /// <summary>UTF-8 bytes of one chunk's text.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxChunkTextBytes { get; set; } = 64 * 1024;

    /// <summary>Bytes of the whole request body; larger bodies get 413.</summary>
    [Range(1024, 1024L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    [Range(1, 4096)]
    public int MaxSourceTypeLength { get; set; } = 256;

    [Range(1, 65_536)]
    public int MaxSourceUriLength { get; set; } = 2048;

    /// <summary>UTF-8 bytes of a metadata object (the job's or one chunk's), as serialised JSON.</summary>
    [Range(2, 1024 * 1024)]
    public int MaxMetadataBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Chunks waiting or in flight across the whole queue beyond which new submissions get 503 with Retry-After,
    /// instead of filling Redis (which runs with noeviction and would otherwise refuse writes for everyone).
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxBacklog { get; set; } = 100_000;

    /// <summary>How long an <c>Idempotency-Key</c> keeps returning the job it created.</summary>
    [Range(1, 24 * 30)]
    public int IdempotencyRetentionHours { get; set; } = 24;

    /// <summary>Nesting depth the JSON reader accepts; deeper documents are rejected rather than parsed.</summary>
    [Range(4, 256)]
    public int MaxJsonDepth { get; set; } = 32;
}
