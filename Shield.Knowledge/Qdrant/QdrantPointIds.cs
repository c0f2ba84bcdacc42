using System.Security.Cryptography;
using System.Text;

namespace Shield.Knowledge.Qdrant;

/// <summary>LightRAG's Qdrant naming: deterministic point ids and per-model collection names.</summary>
public static class QdrantPointIds
{
    /// <summary>
    /// A UUID from the first 16 bytes of sha256(workspace + id), as LightRAG builds it: the same chunk, entity or
    /// relationship always lands on the same point, so reprocessing overwrites instead of adding.
    /// </summary>
    public static Guid For(string workspace, string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(workspace + id), hash);
        // Big-endian, so the text form is the hex of the hash prefix (what Python's uuid.UUID(bytes=...) prints).
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>
    /// <c>lightrag_vdb_{namespace}_{model}_{dim}d</c>: vectors of different models or sizes never share a
    /// collection, so changing the embedding model starts fresh collections instead of corrupting the old ones.
    /// </summary>
    public static string CollectionName(string collection, string model, int dimensions)
    {
        var safeModel = new string([.. model.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_')]);
        return $"lightrag_vdb_{collection}_{safeModel}_{dimensions}d";
    }
}
