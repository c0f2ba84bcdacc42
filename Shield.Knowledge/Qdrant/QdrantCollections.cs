using Grpc.Core;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace Shield.Knowledge.Qdrant;

/// <summary>
/// The three LightRAG collections for the configured embedding model, created on first use with the model's
/// dimension (asked of the generator, or measured by embedding one probe text) and cosine distance, each with a
/// tenant index on <c>workspace_id</c>. Creating is idempotent across processes: whoever loses the race reuses
/// the winner's collection. A failure (Qdrant down) is not remembered, so the next call tries again.
/// </summary>
public sealed partial class QdrantCollections(
    QdrantClient client,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    ILogger<QdrantCollections> logger)
{
    private static readonly string[] Namespaces = [VectorCollections.Chunks, VectorCollections.Entities, VectorCollections.Relationships];

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyDictionary<string, string>? _names;

    /// <summary>Shield's collection name (<see cref="VectorCollections"/>) to the Qdrant collection holding it.</summary>
    public async Task<IReadOnlyDictionary<string, string>> EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _names) is { } ready) return ready;

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_names is { } raced) return raced;

            var metadata = embeddings.GetService<EmbeddingGeneratorMetadata>();
            var model = metadata?.DefaultModelId ?? "unknown";
            var dimensions = metadata?.DefaultModelDimensions
                ?? (await embeddings.GenerateAsync(["dimension probe"], cancellationToken: cancellationToken))[0].Vector.Length;

            var names = Namespaces.ToDictionary(n => n, n => QdrantPointIds.CollectionName(n, model, dimensions));
            foreach (var name in names.Values)
            {
                await CreateIfMissingAsync(name, (ulong)dimensions, cancellationToken);
            }
            LogReady(model, dimensions, string.Join(", ", names.Values));
            Volatile.Write(ref _names, names);
            return names;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CreateIfMissingAsync(string name, ulong dimensions, CancellationToken cancellationToken)
    {
        if (!await client.CollectionExistsAsync(name, cancellationToken))
        {
            try
            {
                await client.CreateCollectionAsync(name, new VectorParams { Size = dimensions, Distance = Distance.Cosine }, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
            {
                // Another Workers process or the Api created it between our check and our call.
            }
        }
        await client.CreatePayloadIndexAsync(name, QdrantVectorStore.WorkspaceField, PayloadSchemaType.Keyword,
            new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } },
            cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Qdrant collections for {Model} ({Dimensions} dimensions, cosine): {Collections}")]
    private partial void LogReady(string model, int dimensions, string collections);
}
