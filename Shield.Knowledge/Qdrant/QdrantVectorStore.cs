using Microsoft.Extensions.Options;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace Shield.Knowledge.Qdrant;

/// <summary>
/// The live vector store: LightRAG's three collections in Qdrant (HNSW, cosine). Point ids are derived from the
/// content ids (<see cref="QdrantPointIds"/>), the original id is kept in payload <c>id</c>, and every point and
/// query carries the workspace, so several deployments can share one Qdrant.
/// </summary>
public sealed class QdrantVectorStore(QdrantClient client, QdrantCollections collections, IOptions<QdrantOptions> options) : IVectorStore
{
    public const string IdField = "id";
    public const string ContentField = "content";
    public const string WorkspaceField = "workspace_id";

    private readonly QdrantOptions _options = options.Value;

    public string Description => $"qdrant (HNSW, cosine, workspace '{_options.Workspace}')";

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken)
    {
        var name = await CollectionAsync(collection, cancellationToken);
        foreach (var batch in points.Select(ToPoint).Chunk(_options.UpsertBatchSize))
        {
            // wait: true, so an acknowledged chunk's vectors are searchable, not merely queued in Qdrant's WAL.
            await client.UpsertAsync(name, batch, wait: true, cancellationToken: cancellationToken);
        }
    }

    public async Task<IReadOnlyList<VectorMatch>> SearchAsync(string collection, ReadOnlyMemory<float> query, int topK, CancellationToken cancellationToken)
    {
        var name = await CollectionAsync(collection, cancellationToken);
        var hits = await client.QueryAsync(name, query: query.ToArray(),
            filter: WorkspaceFilter(),
            limit: (ulong)topK,
            payloadSelector: true,
            scoreThreshold: (float)_options.ScoreThreshold,
            cancellationToken: cancellationToken);
        return [.. hits.Select(hit => new VectorMatch(
            hit.Payload.TryGetValue(IdField, out var id) ? id.StringValue : hit.Id.Uuid,
            hit.Score,
            hit.Payload.TryGetValue(ContentField, out var content) ? content.StringValue : "",
            QdrantPayload.ToJson(hit.Payload)))];
    }

    public async Task DeleteAsync(string collection, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        var name = await CollectionAsync(collection, cancellationToken);
        await client.DeleteAsync(name, [.. ids.Select(id => QdrantPointIds.For(_options.Workspace, id))], wait: true, cancellationToken: cancellationToken);
    }

    /// <summary>The Qdrant point for a Shield vector: payload = the point's JSON payload, its id, content and workspace.</summary>
    public PointStruct ToPoint(VectorPoint point)
    {
        var payload = QdrantPayload.FromJson(point.PayloadJson);
        payload[IdField] = point.Id;
        payload[ContentField] = point.Content;
        payload[WorkspaceField] = _options.Workspace;
        return new PointStruct
        {
            Id = QdrantPointIds.For(_options.Workspace, point.Id),
            Vectors = point.Embedding.ToArray(),
            Payload = { payload },
        };
    }

    private async Task<string> CollectionAsync(string collection, CancellationToken cancellationToken) =>
        (await collections.EnsureAsync(cancellationToken)).TryGetValue(collection, out var name)
            ? name
            : throw new ArgumentException($"Unknown vector collection '{collection}'.", nameof(collection));

    private Filter WorkspaceFilter() => new() { Must = { Conditions.MatchKeyword(WorkspaceField, _options.Workspace) } };
}
