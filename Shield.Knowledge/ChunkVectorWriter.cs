using Microsoft.Extensions.DependencyInjection;

namespace Shield.Knowledge;

/// <summary>
/// Writes chunk vectors for the whole process with group commit (<see cref="GroupCommit{TItem,TResult}"/>): the points
/// of chunks finishing at the same time go to the vector store together, one call per collection, instead of one call
/// per chunk.
/// </summary>
public sealed class ChunkVectorWriter
{
    private readonly GroupCommit<(string Collection, VectorPoint Point), bool> _writes;

    public ChunkVectorWriter(IServiceScopeFactory scopes)
    {
        _writes = new GroupCommit<(string Collection, VectorPoint Point), bool>(async (items, cancellationToken) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<IVectorStore>();
            foreach (var collection in items.GroupBy(i => i.Collection))
            {
                await store.UpsertAsync(collection.Key, [.. collection.Select(i => i.Point)], cancellationToken);
            }
            return [.. items.Select(_ => true)];
        }, maxItems: 128, maxConcurrent: 2);
    }

    public Task UpsertAsync(string collection, VectorPoint point, CancellationToken cancellationToken) =>
        _writes.SubmitAsync([(collection, point)], cancellationToken);
}
