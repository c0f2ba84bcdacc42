using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shield.Workers.Extraction;

namespace Shield.Tests.Extraction;

public sealed class LlmEntityExtractorTests
{
    private const string Chunk = "Ada Lovelace worked with Charles Babbage on the Analytical Engine.";

    private const string FirstAnswer = """
        entity<|#|>Ada Lovelace<|#|>person<|#|>Ada Lovelace was a mathematician.
        entity<|#|>Charles Babbage<|#|>person<|#|>Charles Babbage designed the Analytical Engine.
        relation<|#|>Ada Lovelace<|#|>Charles Babbage<|#|>collaboration<|#|>Ada Lovelace worked with Charles Babbage.
        <|COMPLETE|>
        """;

    private const string GleaningAnswer = """
        entity<|#|>Analytical Engine<|#|>artifact<|#|>The Analytical Engine is the machine Ada Lovelace and Charles Babbage worked on.
        entity<|#|>Ada Lovelace<|#|>person<|#|>Ada Lovelace was a mathematician who worked on the Analytical Engine.
        relation<|#|>Charles Babbage<|#|>Analytical Engine<|#|>design<|#|>Charles Babbage designed the Analytical Engine.
        <|COMPLETE|>
        """;

    /// <summary>A chat client that answers from a script and remembers every conversation it was sent.</summary>
    private sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> answer, TimeSpan delay = default) : IChatClient
    {
        private readonly Lock _gate = new();
        private readonly List<IReadOnlyList<ChatMessage>> _calls = [];
        private int _inFlight;
        private int _maxInFlight;

        public ScriptedChatClient(params string[] answers)
            : this(messages => answers[Math.Min(messages.Count / 2 - 1, answers.Length - 1)])
        {
        }

        public Exception? FailGleaningWith { get; init; }

        public IReadOnlyList<IReadOnlyList<ChatMessage>> Calls
        {
            get
            {
                lock (_gate) return [.. _calls];
            }
        }

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var conversation = messages.ToList();
            lock (_gate)
            {
                _calls.Add(conversation);
                _maxInFlight = Math.Max(_maxInFlight, ++_inFlight);
            }
            try
            {
                if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken);
                if (conversation.Count > 2 && FailGleaningWith is { } failure) throw failure;
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer(conversation)));
            }
            finally
            {
                lock (_gate) _inFlight--;
            }
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", new Uri("http://model.test"), "fake-7b") : null;

        public void Dispose()
        {
        }
    }

    private static LlmEntityExtractor Extractor(IChatClient client, ExtractionOptions? options = null, ModelCallLimiter? limiter = null)
    {
        options ??= new ExtractionOptions();
        return new LlmEntityExtractor(client, Options.Create(options), limiter ?? new ModelCallLimiter(options.MaxConcurrentModelCalls));
    }

    [Fact]
    public async Task The_system_prompt_carries_the_entity_types_delimiters_and_language_and_the_user_prompt_the_chunk()
    {
        var client = new ScriptedChatClient(FirstAnswer);
        var options = new ExtractionOptions { EntityTypes = ["Person", "Spacecraft"], Language = "French", MaxGleaning = 0 };

        await Extractor(client, options).ExtractAsync("chunk-1", Chunk, CancellationToken.None);

        var call = Assert.Single(client.Calls);
        Assert.Equal([ChatRole.System, ChatRole.User], call.Select(m => m.Role));
        var system = call[0].Text;
        Assert.Contains("Entity_types: [Person, Spacecraft]", system, StringComparison.Ordinal);
        Assert.Contains("`Person, Spacecraft`", system, StringComparison.Ordinal);
        Assert.Contains("entity<|#|>entity_name<|#|>entity_type<|#|>entity_description", system, StringComparison.Ordinal);
        Assert.Contains("relation<|#|>source_entity<|#|>target_entity<|#|>relationship_keywords<|#|>relationship_description", system, StringComparison.Ordinal);
        Assert.Contains("<|COMPLETE|>", system, StringComparison.Ordinal);
        Assert.Contains("`French`", system, StringComparison.Ordinal);
        Assert.Contains("entity<|#|>Mirela Costa<|#|>person<|#|>", system, StringComparison.Ordinal); // the few-shot examples
        Assert.Contains(Chunk, call[1].Text, StringComparison.Ordinal);
        Assert.Contains("in French", call[1].Text, StringComparison.Ordinal);
        Assert.All(call, m => Assert.DoesNotMatch(@"\{(entity_types|tuple_delimiter|completion_delimiter|language|examples|input_text)\}", m.Text));
    }

    [Fact]
    public void The_default_prompt_offers_LightRAGs_default_types()
    {
        var system = ExtractionPrompts.SystemPrompt();

        Assert.Contains("Entity_types: [Person, Creature, Organization, Location, Event, Concept, Method, Content, Data, Artifact, NaturalObject]",
            system, StringComparison.Ordinal);
        Assert.Contains("`Other`", system, StringComparison.Ordinal);
        Assert.Contains("`English`", system, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chunk_that_looks_like_a_placeholder_stays_as_it_is()
    {
        Assert.Contains("Text with {language} and {tuple_delimiter} in it", ExtractionPrompts.UserPrompt("Text with {language} and {tuple_delimiter} in it"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gleaning_replays_the_conversation_and_merges_what_it_adds()
    {
        var client = new ScriptedChatClient(FirstAnswer, GleaningAnswer);

        var result = await Extractor(client).ExtractAsync("chunk-1", Chunk, CancellationToken.None);

        Assert.Equal(2, client.Calls.Count);
        var gleaning = client.Calls[1];
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.User], gleaning.Select(m => m.Role));
        Assert.Equal(client.Calls[0][0].Text, gleaning[0].Text);
        Assert.Equal(client.Calls[0][1].Text, gleaning[1].Text);
        Assert.Equal(FirstAnswer, gleaning[2].Text);
        Assert.Equal(ExtractionPrompts.ContinueExtractionPrompt(), gleaning[3].Text);
        Assert.Contains("missed or badly formatted", gleaning[3].Text, StringComparison.Ordinal);

        Assert.Equal(["Ada Lovelace", "Charles Babbage", "Analytical Engine"], result.Entities.Select(e => e.Name));
        Assert.Equal("Ada Lovelace was a mathematician who worked on the Analytical Engine.", result.Entities[0].Description);
        Assert.Equal(2, result.Relations.Count);
        Assert.Equal(0, result.SkippedRecords);
    }

    [Fact]
    public async Task MaxGleaning_zero_makes_one_call()
    {
        var client = new ScriptedChatClient(FirstAnswer, GleaningAnswer);

        var result = await Extractor(client, new ExtractionOptions { MaxGleaning = 0 }).ExtractAsync("chunk-1", Chunk, CancellationToken.None);

        Assert.Single(client.Calls);
        Assert.Equal(2, result.Entities.Count);
    }

    [Fact]
    public async Task More_gleaning_passes_replay_the_whole_conversation_and_stop_when_nothing_is_added()
    {
        var client = new ScriptedChatClient(FirstAnswer, GleaningAnswer, "<|COMPLETE|>", FirstAnswer);

        var result = await Extractor(client, new ExtractionOptions { MaxGleaning = 5 }).ExtractAsync("chunk-1", Chunk, CancellationToken.None);

        Assert.Equal([2, 4, 6], client.Calls.Select(c => c.Count));
        Assert.Equal(3, result.Entities.Count);
    }

    [Fact]
    public async Task Gleaning_is_skipped_when_the_conversation_would_be_too_long()
    {
        var client = new ScriptedChatClient(FirstAnswer, GleaningAnswer);
        var longChunk = string.Concat(Enumerable.Repeat("Ada Lovelace worked with Charles Babbage. ", 2_000)); // ~84,000 characters

        var result = await Extractor(client).ExtractAsync("chunk-1", longChunk, CancellationToken.None);

        Assert.Single(client.Calls);
        Assert.Equal(2, result.Entities.Count);
    }

    [Fact]
    public void Tokens_are_estimated_as_characters_over_four()
    {
        Assert.Equal(0, LlmEntityExtractor.EstimateTokens([]));
        Assert.Equal(3, LlmEntityExtractor.EstimateTokens(["12345678", "9", null]));
    }

    [Fact]
    public async Task A_failed_gleaning_call_keeps_the_first_pass()
    {
        var client = new ScriptedChatClient(FirstAnswer, GleaningAnswer) { FailGleaningWith = new HttpRequestException("model server gone") };

        var result = await Extractor(client).ExtractAsync("chunk-1", Chunk, CancellationToken.None);

        Assert.Equal(2, client.Calls.Count);
        Assert.Equal(["Ada Lovelace", "Charles Babbage"], result.Entities.Select(e => e.Name));
    }

    [Fact]
    public async Task A_failed_first_call_fails_the_extraction()
    {
        var client = new ScriptedChatClient(_ => throw new HttpRequestException("model server gone"));

        await Assert.ThrowsAsync<HttpRequestException>(() => Extractor(client).ExtractAsync("chunk-1", Chunk, CancellationToken.None));
    }

    [Fact]
    public async Task A_model_that_does_not_answer_in_time_is_a_timeout()
    {
        var client = new ScriptedChatClient(_ => FirstAnswer, TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Extractor(client, new ExtractionOptions { ModelTimeoutSeconds = 1 }).ExtractAsync("chunk-1", Chunk, CancellationToken.None));
        Assert.Contains("chunk-1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_stays_a_cancellation()
    {
        var client = new ScriptedChatClient(_ => FirstAnswer, TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Extractor(client).ExtractAsync("chunk-1", Chunk, cancel.Token));
    }

    [Fact]
    public async Task The_limiter_bounds_model_calls_across_all_extractions_and_extractors()
    {
        var client = new ScriptedChatClient(m => m.Count == 2 ? FirstAnswer : GleaningAnswer, TimeSpan.FromMilliseconds(30));
        using var limiter = new ModelCallLimiter(2);
        var options = new ExtractionOptions { MaxConcurrentModelCalls = 2 };
        var extractors = new[] { Extractor(client, options, limiter), Extractor(client, options, limiter) };

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            Task.Run(() => extractors[i % 2].ExtractAsync($"chunk-{i}", Chunk, CancellationToken.None))));

        Assert.Equal(20, client.Calls.Count);
        Assert.All(results, r => Assert.Equal(3, r.Entities.Count));
        Assert.InRange(client.MaxInFlight, 1, 2);
        Assert.InRange(limiter.Peak, 1, 2);
        Assert.Equal(0, limiter.InFlight);
    }

    [Fact]
    public void The_description_names_the_model()
    {
        Assert.Equal("chat model: fake-7b via scripted at http://model.test/ (gleaning 1, 4 calls at once)",
            Extractor(new ScriptedChatClient(FirstAnswer)).Description);
    }

    [Fact]
    public void Options_are_validated()
    {
        static bool Valid(ExtractionOptions options) => Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true);

        Assert.True(Valid(new ExtractionOptions()));
        Assert.False(Valid(new ExtractionOptions { MaxGleaning = -1 }));
        Assert.False(Valid(new ExtractionOptions { MaxConcurrentModelCalls = 0 }));
        Assert.False(Valid(new ExtractionOptions { ModelTimeoutSeconds = 0 }));
        Assert.False(Valid(new ExtractionOptions { Language = "" }));
        Assert.Equal(ExtractionPrompts.DefaultEntityTypes, new ExtractionOptions().EffectiveEntityTypes);
    }

    [Fact]
    public void The_service_registration_binds_the_options_and_shares_one_limiter()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shield:Extraction:EntityTypes:0"] = "Person",
            ["Shield:Extraction:EntityTypes:1"] = "Gene",
            ["Shield:Extraction:MaxGleaning"] = "0",
            ["Shield:Extraction:MaxConcurrentModelCalls"] = "3",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IChatClient>(new ScriptedChatClient(FirstAnswer));
        services.AddLlmEntityExtraction(configuration);
        using var provider = services.BuildServiceProvider();

        var extractor = Assert.IsType<LlmEntityExtractor>(provider.GetRequiredService<IEntityExtractor>());
        Assert.Equal(["Person", "Gene"], provider.GetRequiredService<IOptions<ExtractionOptions>>().Value.EffectiveEntityTypes);
        Assert.Equal(3, provider.GetRequiredService<ModelCallLimiter>().Capacity);
        Assert.Contains("gleaning 0, 3 calls at once", extractor.Description, StringComparison.Ordinal);
    }
}
