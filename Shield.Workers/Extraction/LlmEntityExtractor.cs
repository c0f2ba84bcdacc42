using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Shield.Workers.Extraction;

/// <summary>
/// LightRAG's model-based extraction for one chunk: the system prompt (instructions, examples, entity types) and
/// the user prompt (the chunk) go to the chat model; the answer is parsed by <see cref="ExtractionParser"/>. Then,
/// up to <see cref="ExtractionOptions.MaxGleaning"/> times, the conversation so far is replayed with the
/// "continue extraction" prompt and what the model adds is merged (<see cref="ExtractionMerger"/>). Every model
/// call waits for a slot of the process-wide <see cref="ModelCallLimiter"/> and has
/// <see cref="ExtractionOptions.ModelTimeoutSeconds"/> to answer.
/// </summary>
/// <remarks>
/// A failing first call fails the extraction (the worker pool retries the chunk). A failing gleaning call does
/// not: the first pass is complete on its own, so it is kept and the failure logged.
/// </remarks>
public sealed partial class LlmEntityExtractor : IEntityExtractor
{
    private readonly IChatClient _chatClient;
    private readonly ExtractionOptions _options;
    private readonly ModelCallLimiter _limiter;
    private readonly ILogger _logger;

    public LlmEntityExtractor(IChatClient chatClient, IOptions<ExtractionOptions> options, ModelCallLimiter limiter, ILogger<LlmEntityExtractor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(limiter);
        _chatClient = chatClient;
        _options = options.Value;
        _limiter = limiter;
        _logger = logger ?? (ILogger)NullLogger.Instance;

        var metadata = chatClient.GetService<ChatClientMetadata>();
        Settings = $"chat {metadata?.ProviderName}/{metadata?.DefaultModelId}; prompt {ExtractionPrompts.PromptVersion}; "
            + $"gleaning {_options.MaxGleaning} up to {_options.MaxGleaningInputTokens} tokens; "
            + $"types {string.Join(",", _options.EffectiveEntityTypes)}; language {_options.Language}";
        Description = $"chat model: {metadata?.DefaultModelId ?? "unknown model"} via {metadata?.ProviderName ?? "chat client"}"
            + $"{(metadata?.ProviderUri is { } uri ? $" at {uri}" : "")} (gleaning {_options.MaxGleaning}, {_limiter.Capacity} calls at once)";
    }

    public string Description { get; }

    public string Settings { get; }

    public async Task<ExtractionResult> ExtractAsync(string chunkId, string text, CancellationToken cancellationToken)
    {
        var history = new List<ChatMessage>
        {
            new(ChatRole.System, ExtractionPrompts.SystemPrompt(_options.EffectiveEntityTypes, _options.Language)),
            new(ChatRole.User, ExtractionPrompts.UserPrompt(text, _options.Language)),
        };
        var answer = await CallModelAsync(chunkId, history, cancellationToken).ConfigureAwait(false);
        var result = ExtractionParser.Parse(answer, chunkId);
        history.Add(new ChatMessage(ChatRole.Assistant, answer));

        var continuePrompt = ExtractionPrompts.ContinueExtractionPrompt(_options.Language);
        for (var pass = 1; pass <= _options.MaxGleaning; pass++)
        {
            var tokens = EstimateTokens(history.Select(m => m.Text).Append(continuePrompt));
            if (tokens > _options.MaxGleaningInputTokens)
            {
                LogGleaningSkipped(chunkId, tokens, _options.MaxGleaningInputTokens);
                break;
            }

            history.Add(new ChatMessage(ChatRole.User, continuePrompt));
            string gleaned;
            try
            {
                gleaned = await CallModelAsync(chunkId, history, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogGleaningFailed(ex, chunkId, pass);
                break;
            }

            var more = ExtractionParser.Parse(gleaned, chunkId);
            result = ExtractionMerger.MergeGleaning(result, more);
            if (more.Entities.Count == 0 && more.Relations.Count == 0) break; // nothing was missed: no point asking again
            history.Add(new ChatMessage(ChatRole.Assistant, gleaned));
        }

        return result;
    }

    /// <summary>
    /// Approximate token count: characters / 4, rounded up. LightRAG counts with tiktoken (o200k_base); Shield
    /// references no tokenizer for chat models, and 4 characters per token is the usual estimate for English
    /// text (it counts CJK text low, so set <see cref="ExtractionOptions.MaxGleaningInputTokens"/> lower for such corpora).
    /// </summary>
    public static int EstimateTokens(IEnumerable<string?> texts) =>
        (int)Math.Min(int.MaxValue, (texts.Sum(t => (long)(t?.Length ?? 0)) + 3) / 4);

    // A snapshot: the history grows after the call, and a client may keep the list it was given.
    private Task<string> CallModelAsync(string chunkId, List<ChatMessage> messages, CancellationToken cancellationToken) =>
        _limiter.GetResponseTextAsync(_chatClient, messages.ToList(), TimeSpan.FromSeconds(_options.ModelTimeoutSeconds), $"Chunk {chunkId}", cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chunk {ChunkId}: gleaning skipped, the conversation would be about {Tokens} tokens (limit {Limit})")]
    private partial void LogGleaningSkipped(string chunkId, int tokens, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chunk {ChunkId}: gleaning pass {Pass} failed; the extraction keeps what the earlier passes found")]
    private partial void LogGleaningFailed(Exception exception, string chunkId, int pass);
}
