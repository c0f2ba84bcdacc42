using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Shield.Drills.Models;

/// <summary>
/// A server that speaks Ollama's HTTP API (<c>/api/chat</c>, <c>/api/embed</c>, <c>/api/tags</c>,
/// <c>/api/pull</c>, <c>/api/version</c>) on a free local port, for the parts of Shield that talk to a model
/// server through the real OllamaSharp client. Chat answers come from a script: per chunk text, the first
/// extraction answer and the gleaning answer, in LightRAG's record format; a call no script matches asks the
/// function given to <see cref="ScriptWith"/>, if any, and otherwise gets an empty extraction (or, for a summary
/// prompt, a summary that names what it summarised). Embeddings are a deterministic bag of hashed words (64 dimensions), so texts that
/// share words are near each other. Faults can be injected: a number of failing or hanging chat calls, or every new
/// chat call held until released. It counts what a model server would bill: chat calls by kind, embedding calls and
/// texts, and answers it gave more than once for the same conversation (work paid for twice).
/// </summary>
public sealed class ScriptedOllamaServer : IAsyncDisposable
{
    public const int EmbeddingDimensions = 64;
    public const string SummaryPrefix = "Scripted summary of ";

    private LoopbackServer _server = null!;
    private readonly ConcurrentDictionary<string, (string First, string Gleaning)> _script = new();
    private volatile Func<ChatPrompt, string?>? _answer;
    private readonly ConcurrentDictionary<string, byte> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<string> _pulls = new();
    private int _failuresLeft;
    private HttpStatusCode _failureStatus = HttpStatusCode.InternalServerError;
    private int _hangsLeft;
    private int _extractionCalls;
    private int _gleaningCalls;
    private int _summaryCalls;
    private int _embedCalls;
    private int _failedCalls;
    private int _hungCalls;
    private int _embeddedTexts;
    private readonly ConcurrentDictionary<string, int> _answers = new();
    private volatile TaskCompletionSource? _held;
    private int _heldCalls;
    private long _lastAnswerTicks;

    private ScriptedOllamaServer()
    {
    }

    public Uri Endpoint => _server.Endpoint;

    public int ExtractionCalls => Volatile.Read(ref _extractionCalls);
    public int GleaningCalls => Volatile.Read(ref _gleaningCalls);
    public int SummaryCalls => Volatile.Read(ref _summaryCalls);
    public int EmbedCalls => Volatile.Read(ref _embedCalls);
    public int FailedCalls => Volatile.Read(ref _failedCalls);
    public int HungCalls => Volatile.Read(ref _hungCalls);
    public int EmbeddedTexts => Volatile.Read(ref _embeddedTexts);

    /// <summary>Conversations (model and messages) answered more than once: model work paid for again.</summary>
    public int RepeatedAnswers => _answers.Values.Count(n => n > 1);

    /// <summary>The conversations answered so far.</summary>
    public IReadOnlySet<string> AnsweredConversations => _answers.Keys.ToHashSet();

    /// <summary>Which of <paramref name="conversations"/> were answered again since, described.</summary>
    public IReadOnlyList<string> AnsweredAgain(IReadOnlySet<string> conversations) =>
        [.. _answers.Where(a => a.Value > 1 && conversations.Contains(a.Key)).Select(a => $"{a.Value}x {Describe(a.Key)}")];

    /// <summary>A conversation's kind and the start of its chunk's text.</summary>
    private static string Describe(string key)
    {
        var messages = JsonNode.Parse(key[(key.IndexOf('\u0001') + 1)..])!.AsArray();
        var kind = messages.Any(m => (string?)m!["role"] == "assistant") ? "gleaning" : "first call";
        var user = messages.Where(m => (string?)m!["role"] == "user").Select(m => (string?)m!["content"] ?? "").First();
        var text = user.Length > 0 ? user[Math.Max(0, user.IndexOf("The ", StringComparison.Ordinal))..] : "";
        return $"{kind}: {text[..Math.Min(80, text.Length)].ReplaceLineEndings(" ")}";
    }

    /// <summary>Conversations answered at least once.</summary>
    public int DistinctAnswers => _answers.Count;

    /// <summary>Chat calls waiting because of <see cref="HoldChatCalls"/>.</summary>
    public int HeldCalls => Volatile.Read(ref _heldCalls);

    /// <summary>When the last chat answer was sent.</summary>
    public DateTime LastAnswerAt => new(Interlocked.Read(ref _lastAnswerTicks), DateTimeKind.Utc);

    /// <summary>
    /// Every gleaning call from now on (or every chat call) waits, unanswered, until <see cref="ReleaseChatCalls"/>: a
    /// chunk's extraction is then answered while its gleaning is still to come.
    /// </summary>
    public void HoldChatCalls(bool gleaningOnly = false)
    {
        _holdGleaningOnly = gleaningOnly;
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private volatile bool _holdGleaningOnly;

    public void ReleaseChatCalls() => Interlocked.Exchange(ref _held, null)?.TrySetResult();
    public IReadOnlyCollection<string> Pulls => [.. _pulls];

    /// <summary>Starts the server; <paramref name="models"/> are listed as already pulled.</summary>
    public static async Task<ScriptedOllamaServer> StartAsync(params string[] models)
    {
        var server = new ScriptedOllamaServer();
        foreach (var model in models) server._models[Normalise(model)] = 0;

        server._server = await LoopbackServer.StartAsync(app =>
        {
            app.MapGet("/", () => "Ollama is running");
            app.MapGet("/api/version", () => Results.Json(new { version = "0.13.0" }));
            app.MapGet("/api/tags", () => Results.Json(new
            {
                models = server._models.Keys.Order().Select(name => new { name, model = name, size = 1_000_000, digest = "sha256:scripted" }),
            }));
            app.MapPost("/api/pull", server.PullAsync);
            app.MapPost("/api/chat", server.ChatAsync);
            app.MapPost("/api/embed", server.EmbedAsync);
        });
        return server;
    }

    /// <summary>Answers for a chunk: matched by the chunk text appearing in the prompt.</summary>
    public void Script(string chunkText, string firstAnswer, string gleaningAnswer) => _script[chunkText] = (firstAnswer, gleaningAnswer);

    /// <summary>
    /// Answers by a function of the prompt, for the calls no <see cref="Script"/> matches (and every summary): its
    /// answer is sent as the model's; null falls back to the built-in answer. It is called concurrently, once per answer.
    /// </summary>
    public void ScriptWith(Func<ChatPrompt, string?> answer) => _answer = answer;

    /// <summary>The next <paramref name="count"/> chat calls answer <paramref name="status"/> with an Ollama error body.</summary>
    public void FailNextChatCalls(int count, HttpStatusCode status = HttpStatusCode.InternalServerError)
    {
        _failureStatus = status;
        Volatile.Write(ref _failuresLeft, count);
    }

    /// <summary>The next <paramref name="count"/> chat calls never answer (until the client gives up).</summary>
    public void HangNextChatCalls(int count) => Volatile.Write(ref _hangsLeft, count);

    /// <summary>How long each chat answer takes (a model server is not instant; the benchmark's latency runs). Zero: at once.</summary>
    public TimeSpan ChatLatency { get; set; }

    /// <summary>How long each embedding call takes. Zero: at once.</summary>
    public TimeSpan EmbedLatency { get; set; }

    public bool HasModel(string model) => _models.ContainsKey(Normalise(model));

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static string Normalise(string model) => model.Contains(':', StringComparison.Ordinal) ? model : model + ":latest";

    private async Task PullAsync(HttpContext context)
    {
        var request = await JsonNode.ParseAsync(context.Request.Body);
        var model = (string?)request?["model"] ?? (string?)request?["name"] ?? "";
        _pulls.Enqueue(model);
        context.Response.ContentType = "application/x-ndjson";
        foreach (var line in new object[]
        {
            new { status = "pulling manifest" },
            new { status = "pulling scripted", digest = "sha256:scripted", total = 1000, completed = 500 },
            new { status = "pulling scripted", digest = "sha256:scripted", total = 1000, completed = 1000 },
            new { status = "verifying sha256 digest" },
            new { status = "success" },
        })
        {
            await context.Response.WriteAsync(JsonSerializer.Serialize(line) + "\n");
            await context.Response.Body.FlushAsync();
        }
        _models[Normalise(model)] = 0;
    }

    private static async Task<(JsonObject Request, string Model)> ReadRequestAsync(HttpContext context)
    {
        var request = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        return (request, (string?)request["model"] ?? "");
    }

    /// <summary>Ollama's answer for a model it does not have.</summary>
    private static async Task RefuseUnknownModelAsync(HttpContext context, string model)
    {
        context.Response.StatusCode = 404;
        await context.Response.WriteAsJsonAsync(new { error = $"model \"{model}\" not found, try pulling it first" });
    }

    private async Task ChatAsync(HttpContext context)
    {
        var (request, model) = await ReadRequestAsync(context);
        if (!HasModel(model))
        {
            await RefuseUnknownModelAsync(context, model);
            return;
        }
        var isGleaning = request["messages"]!.AsArray().Any(m => (string?)m!["role"] == "assistant");
        if (_held is { } held && (!_holdGleaningOnly || isGleaning))
        {
            Interlocked.Increment(ref _heldCalls);
            try
            {
                await held.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _heldCalls);
            }
        }
        if (ChatLatency > TimeSpan.Zero)
        {
            await Task.Delay(ChatLatency, context.RequestAborted);
        }
        if (TryTake(ref _hangsLeft))
        {
            Interlocked.Increment(ref _hungCalls);
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            return;
        }
        if (TryTake(ref _failuresLeft))
        {
            Interlocked.Increment(ref _failedCalls);
            context.Response.StatusCode = (int)_failureStatus;
            await context.Response.WriteAsJsonAsync(new { error = "scripted failure: model runner crashed" });
            return;
        }

        var messages = request["messages"]!.AsArray().Select(m => (Role: (string)m!["role"]!, Content: (string?)m["content"] ?? "")).ToList();
        var answer = Answer(ChatPrompt.Read(model, messages));
        _answers.AddOrUpdate(model + "\u0001" + request["messages"]!.ToJsonString(), 1, (_, n) => n + 1);
        Interlocked.Exchange(ref _lastAnswerTicks, DateTime.UtcNow.Ticks);
        var stream = request["stream"] is not JsonValue flag || flag.GetValue<bool>();
        if (stream)
        {
            // Ollama streams NDJSON: pieces of the message, then a final line with done = true.
            context.Response.ContentType = "application/x-ndjson";
            var half = answer.Length / 2;
            foreach (var piece in new[] { answer[..half], answer[half..] })
            {
                await context.Response.WriteAsync(JsonSerializer.Serialize(new
                {
                    model, created_at = DateTimeOffset.UtcNow, message = new { role = "assistant", content = piece }, done = false,
                }) + "\n");
            }
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                model, created_at = DateTimeOffset.UtcNow, message = new { role = "assistant", content = "" }, done = true,
                done_reason = "stop", total_duration = 1_000_000, prompt_eval_count = 100, eval_count = 50,
            }) + "\n");
            return;
        }
        await context.Response.WriteAsJsonAsync(new
        {
            model, created_at = DateTimeOffset.UtcNow, message = new { role = "assistant", content = answer }, done = true,
            done_reason = "stop", total_duration = 1_000_000, prompt_eval_count = 100, eval_count = 50,
        });
    }

    private string Answer(ChatPrompt prompt)
    {
        if (prompt.IsSummary)
        {
            Interlocked.Increment(ref _summaryCalls);
            return _answer?.Invoke(prompt) ?? $"{SummaryPrefix}{prompt.Subject} from {prompt.Descriptions.Count} descriptions.";
        }

        var script = _script.Where(s => prompt.Prompt.Contains(s.Key, StringComparison.Ordinal)).Select(s => s.Value).FirstOrDefault();
        if (prompt.IsGleaning)
        {
            Interlocked.Increment(ref _gleaningCalls);
            return script.Gleaning ?? _answer?.Invoke(prompt) ?? "<|COMPLETE|>";
        }
        Interlocked.Increment(ref _extractionCalls);
        return script.First ?? _answer?.Invoke(prompt) ?? "<|COMPLETE|>";
    }

    private async Task EmbedAsync(HttpContext context)
    {
        Interlocked.Increment(ref _embedCalls);
        if (EmbedLatency > TimeSpan.Zero)
        {
            await Task.Delay(EmbedLatency, context.RequestAborted);
        }
        var (request, model) = await ReadRequestAsync(context);
        if (!HasModel(model))
        {
            await RefuseUnknownModelAsync(context, model);
            return;
        }
        var inputs = request["input"] switch
        {
            JsonArray array => array.Select(i => (string?)i ?? "").ToList(),
            JsonValue single => [(string?)single ?? ""],
            _ => [],
        };
        Interlocked.Add(ref _embeddedTexts, inputs.Count);
        await context.Response.WriteAsJsonAsync(new { model, embeddings = inputs.Select(Embed), total_duration = 1_000, prompt_eval_count = inputs.Count });
    }

    /// <summary>A unit vector of hashed lower-case words.</summary>
    public static float[] Embed(string text)
    {
        var vector = new float[EmbeddingDimensions];
        foreach (var word in text.ToLowerInvariant().Split([' ', '\n', '\t', '.', ',', ';', ':'], StringSplitOptions.RemoveEmptyEntries))
        {
            var hash = 2166136261u;
            foreach (var b in Encoding.UTF8.GetBytes(word)) hash = (hash ^ b) * 16777619u;
            vector[hash % EmbeddingDimensions] += 1;
        }
        var norm = MathF.Sqrt(vector.Sum(v => v * v));
        if (norm == 0) vector[0] = norm = 1;
        return [.. vector.Select(v => v / norm)];
    }

    private static bool TryTake(ref int counter)
    {
        while (true)
        {
            var left = Volatile.Read(ref counter);
            if (left <= 0) return false;
            if (Interlocked.CompareExchange(ref counter, left - 1, left) == left) return true;
        }
    }
}
