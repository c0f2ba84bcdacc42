using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Distributed;
using Shield.Ingestion.Workers;

namespace Shield.Knowledge.ModelCache;

/// <summary>
/// This process's cache lookups by kind (chat answers, embeddings) and the texts that reached the embedding model,
/// as metrics (<c>shield.model_cache.lookups</c> with tags kind and outcome, <c>shield.embeddings.texts</c>) and as
/// the counts a Workers process reports in its heartbeat for <c>/health/detailed</c>.
/// </summary>
public sealed class ModelCacheStats
{
    public const string Chat = "chat";
    public const string Embeddings = "embeddings";

    private static readonly Meter Meter = new("Shield");
    private static readonly Counter<long> Lookups = Meter.CreateCounter<long>("shield.model_cache.lookups",
        description: "Model answers and embeddings looked up in the model cache, by kind and outcome (hit or miss)");
    private static readonly Counter<long> Texts = Meter.CreateCounter<long>("shield.embeddings.texts",
        description: "Texts sent to the embedding model (cache misses)");

    private long _chatHits, _chatMisses, _embeddingHits, _embeddingMisses, _textsEmbedded;

    public void Lookup(string kind, bool hit)
    {
        Lookups.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", hit ? "hit" : "miss"));
        switch (kind == Chat, hit)
        {
            case (true, true): Interlocked.Increment(ref _chatHits); break;
            case (true, false): Interlocked.Increment(ref _chatMisses); break;
            case (false, true): Interlocked.Increment(ref _embeddingHits); break;
            default: Interlocked.Increment(ref _embeddingMisses); break;
        }
    }

    public void TextsEmbedded(int count)
    {
        Texts.Add(count);
        Interlocked.Add(ref _textsEmbedded, count);
    }

    public ModelCacheReport Snapshot() => new(
        Interlocked.Read(ref _chatHits), Interlocked.Read(ref _chatMisses),
        Interlocked.Read(ref _embeddingHits), Interlocked.Read(ref _embeddingMisses), Interlocked.Read(ref _textsEmbedded));
}

/// <summary>The model cache as one kind of caller sees it: every read is counted a hit or a miss.</summary>
public sealed class CountingDistributedCache(IDistributedCache inner, ModelCacheStats stats, string kind) : IDistributedCache
{
    public byte[]? Get(string key) => Count(inner.Get(key));

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Count(await inner.GetAsync(key, token));

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        inner.SetAsync(key, value, options, token);

    public void Refresh(string key) => inner.Refresh(key);

    public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

    public void Remove(string key) => inner.Remove(key);

    public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);

    private byte[]? Count(byte[]? value)
    {
        stats.Lookup(kind, value is not null);
        return value;
    }
}
