using Microsoft.Extensions.AI;

namespace Shield.Knowledge.Ollama;

/// <summary>
/// Whether this process's model calls are currently failing: consecutive failures and the last error, reset by
/// the next success. The Workers' heartbeat carries it, so <c>/health/detailed</c> shows a model server that
/// errors or hangs, not only one that is unreachable.
/// </summary>
public sealed class ModelCallHealth(TimeProvider time)
{
    private readonly Lock _gate = new();
    private int _consecutiveFailures;
    private string? _lastError;
    private DateTimeOffset? _lastFailureAt;

    public int ConsecutiveFailures
    {
        get
        {
            lock (_gate) return _consecutiveFailures;
        }
    }

    public void RecordSuccess()
    {
        lock (_gate) _consecutiveFailures = 0;
    }

    public void RecordFailure(Exception exception)
    {
        lock (_gate)
        {
            _consecutiveFailures++;
            _lastError = exception is OperationCanceledException ? "the call timed out" : exception.GetBaseException().Message;
            _lastFailureAt = time.GetUtcNow();
        }
    }

    /// <summary><c>ok</c>, or <c>failing: …</c> with the count, time and last error.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            return _consecutiveFailures == 0
                ? "ok"
                : $"failing: {_consecutiveFailures} model call(s) in a row failed, last at {_lastFailureAt:O}: {_lastError}";
        }
    }
}

/// <summary>Reports every chat call's outcome to <see cref="ModelCallHealth"/>.</summary>
internal sealed class HealthTrackingChatClient(IChatClient inner, ModelCallHealth health) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            health.RecordSuccess();
            return response;
        }
        catch (Exception ex)
        {
            // A timeout arrives as a cancellation and is the model's failure; a shutdown's cancellation is counted
            // too, harmlessly, since the process is about to stop reporting.
            health.RecordFailure(ex);
            throw;
        }
    }
}

/// <summary>Reports every embedding call's outcome to <see cref="ModelCallHealth"/>.</summary>
internal sealed class HealthTrackingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, ModelCallHealth health)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
{
    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var embeddings = await base.GenerateAsync(values, options, cancellationToken);
            health.RecordSuccess();
            return embeddings;
        }
        catch (Exception ex)
        {
            health.RecordFailure(ex);
            throw;
        }
    }
}
