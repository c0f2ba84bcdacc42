using System.ComponentModel.DataAnnotations;

namespace Shield.Knowledge.Qdrant;

/// <summary>Qdrant vector store settings (section <c>Shield:Qdrant</c>); defaults are LightRAG's.</summary>
public sealed class QdrantOptions
{
    public const string SectionName = "Shield:Qdrant";

    /// <summary>Tenant of this deployment inside shared collections (payload <c>workspace_id</c>, a tenant index).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Workspace { get; set; } = "default";

    /// <summary>Matches scoring below this cosine similarity are not returned (LightRAG: 0.2).</summary>
    [Range(-1.0, 1.0)]
    public double ScoreThreshold { get; set; } = 0.2;

    /// <summary>Points per upsert request (LightRAG: 128).</summary>
    [Range(1, 10_000)]
    public int UpsertBatchSize { get; set; } = 128;
}
