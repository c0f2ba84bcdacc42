using System.ComponentModel.DataAnnotations;

namespace Shield.Knowledge.ModelCache;

/// <summary>
/// The cache of model answers and embeddings (section <c>Shield:ModelCache</c>): every chat completion and embedding is
/// looked up by a hash of the model, the input and the options before the model is called.
/// </summary>
public sealed class ModelCacheOptions
{
    public const string SectionName = "Shield:ModelCache";

    /// <summary>Off only to measure what the cache saves; a retry or a re-ingestion then pays the model again.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Entries not used for this many days are removed.</summary>
    [Range(1, 3650)]
    public int MaxAgeDays { get; set; } = 30;

    /// <summary>Past this size, the least recently used entries are removed.</summary>
    [Range(1, 1_000_000)]
    public int MaxSizeMegabytes { get; set; } = 1024;

    /// <summary>
    /// How stale an entry's last-used time may get: a hit refreshes it only when it is older than this, so a cache read
    /// is a plain read and the table is not rewritten on every hit. Entries used within this long may be seen as that
    /// much older by the age and size bounds.
    /// </summary>
    [Range(1, 1440)]
    public int LastUsedResolutionMinutes { get; set; } = 60;

    /// <summary>How often a Workers process enforces the two bounds above.</summary>
    [Range(10, 86_400)]
    public int TrimIntervalSeconds { get; set; } = 600;
}
