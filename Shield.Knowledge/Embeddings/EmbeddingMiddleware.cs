using Microsoft.Extensions.AI;

namespace Shield.Knowledge.Embeddings;

/// <summary>
/// Cuts every text to the model's input limit before it is sent (and before it is looked up in the cache, so two
/// texts the model cannot tell apart share one embedding).
/// </summary>
public sealed class TruncatingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int maxCharacters)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GenerateAsync(values.Select(v => v.Length <= maxCharacters ? v : v[..maxCharacters]), options, cancellationToken);
}

/// <summary>Sends concurrent requests to the model together (<see cref="GroupCommit{TItem,TResult}"/>), in calls of at most the batch size.</summary>
public sealed class BatchingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly GroupCommit<string, Embedding<float>> _calls;

    public BatchingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, int batchSize, int maxConcurrentCalls)
        : base(inner)
    {
        _calls = new GroupCommit<string, Embedding<float>>(
            async (texts, token) => await InnerGenerator.GenerateAsync(texts, null, token), batchSize, maxConcurrentCalls);
    }

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Options would have to match across a batch; Shield passes none, so a call that does goes alone.
        if (options is not null) return await base.GenerateAsync(values, options, cancellationToken);
        return [.. await _calls.SubmitAsync([.. values], cancellationToken)];
    }
}

/// <summary>Counts the texts that reach the model (not answered by the cache): <c>shield.embeddings.texts</c>.</summary>
public sealed class CountingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, ModelCache.ModelCacheStats stats)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyCollection<string> ?? [.. values];
        stats.TextsEmbedded(texts.Count);
        return base.GenerateAsync(texts, options, cancellationToken);
    }
}
