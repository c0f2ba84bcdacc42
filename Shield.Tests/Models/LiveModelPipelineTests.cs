using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Shield.Ingestion.Workers;
using Shield.Tests.Infrastructure;
using Shield.Tests.Resilience;

namespace Shield.Tests.Models;

/// <summary>
/// The live path end to end: the AppHost pulls the models onto an Ollama server, and every chunk goes through
/// LightRAG's extraction prompt, gleaning, the graph merge, the model summary and the embedding model over
/// Ollama's HTTP API with the real OllamaSharp client. The server's answers are written in the style of real
/// models, quirks included (markdown fences, quoted names, odd casing, a broken record, a missing completion line).
/// </summary>
[Collection(LiveModelCollection.Name)]
public sealed class LiveModelPipelineTests(LiveModelStackFixture stack)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Letters only, so it stays part of each name's last word (the tests share one database).</summary>
    private readonly string _tag = new(Guid.NewGuid().ToByteArray().Take(6).Select(b => (char)('a' + b % 26)).ToArray());

    private ScriptedOllamaServer Ollama => stack.Ollama;

    [Fact]
    public async Task The_AppHost_pulls_both_models_onto_the_Ollama_server_and_the_workers_report_them()
    {
        Assert.Contains(LiveModelStackFixture.ChatModel, Ollama.Pulls);
        Assert.Contains(LiveModelStackFixture.EmbeddingModel, Ollama.Pulls);

        var health = JsonDocument.Parse(await stack.Api.GetStringAsync("/health/detailed")).RootElement.GetProperty("model_backend");
        Assert.Equal("ollama", health.GetProperty("mode").GetString());
        var reported = health.GetProperty("reported_by_workers").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Contains(reported, r => r.StartsWith($"chat model: {LiveModelStackFixture.ChatModel} via ollama", StringComparison.Ordinal));
        Assert.Contains(reported, r => r.Contains(LiveModelStackFixture.EmbeddingModel, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_Prometheus_switch_on_the_Api_serves_its_metrics_to_a_scrape_with_a_read_key()
    {
        await stack.Api.GetStringAsync("/jobs?limit=1");

        // As Prometheus sends credentials (authorization: credentials: <key>): a read key as a bearer token.
        using var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        scrape.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", stack.ReadKey);
        using var response = await stack.AnonymousApi.SendAsync(scrape);
        var text = await response.Content.ReadAsStringAsync();
        using var anonymous = await stack.AnonymousApi.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Every_chunk_is_extracted_gleaned_merged_and_embedded_through_the_model_server_and_reprocessing_changes_nothing()
    {
        var hopper = $"Grace Hopper{_tag}";
        var lab = $"Harvard Computation Lab{_tag}";
        var mark = $"Mark I{_tag}";
        var cobol = $"COBOL{_tag}";
        var first = $"{hopper} worked at the {lab} on the {mark}.";
        var second = $"{hopper} later led the {cobol} effort for business computing.";

        // Fenced, a quoted name, a capitalised tag, a record with too few fields, and no completion line.
        Ollama.Script(first, $"""
            ```text
            Entity<|#|>"{hopper}"<|#|>Person<|#|>{hopper} was a computer scientist who programmed the {mark}.
            entity<|#|>{lab}<|#|>organization<|#|>The {lab} housed the {mark}.
            entity<|#|>a record cut short
            relation<|#|>{hopper}<|#|>{lab}<|#|>employment, research<|#|>{hopper} worked at the {lab}.
            ```
            """,
            // What the first pass missed, found by gleaning.
            $"""
            entity<|#|>{mark}<|#|>artifact<|#|>The {mark} was an early electromechanical computer.
            relation<|#|>{hopper}<|#|>{mark}<|#|>programming<|#|>{hopper} programmed the {mark}.
            <|COMPLETE|>
            """);
        // A duplicate entity in one answer (the longer description wins) and stray whitespace.
        Ollama.Script(second, $"""
            entity<|#|>{hopper}<|#|>person<|#|>{hopper} led work on business languages.
              entity <|#|> {cobol} <|#|> technology <|#|> {cobol} is a programming language for business computing.
            entity<|#|>{cobol}<|#|>technology<|#|>{cobol} is a language.
            relation<|#|>{hopper}<|#|>{cobol}<|#|>leadership<|#|>{hopper} led the {cobol} effort.
            <|COMPLETE|>
            """, "<|COMPLETE|>");

        var (extractions, gleanings, embeds) = (Ollama.ExtractionCalls, Ollama.GleaningCalls, Ollama.EmbedCalls);
        var job = await SubmitAndWaitAsync(first, second);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(2, job.GetProperty("chunks_processed").GetInt32());
        Assert.True(Ollama.ExtractionCalls - extractions >= 2, "each chunk asks the chat model once");
        Assert.True(Ollama.GleaningCalls - gleanings >= 2, "each chunk gets one gleaning pass");
        Assert.True(Ollama.EmbedCalls > embeds, "vectors come from the embedding model");

        var hopperNode = await EntityAsync(hopper);
        Assert.Equal("person", hopperNode.GetProperty("entity_type").GetString());
        Assert.Equal(2, hopperNode.GetProperty("source_chunk_ids").GetArrayLength());
        Assert.Contains("programmed", hopperNode.GetProperty("description").GetString());
        Assert.Contains("business languages", hopperNode.GetProperty("description").GetString());
        Assert.Equal("artifact", (await EntityAsync(mark)).GetProperty("entity_type").GetString());
        Assert.Equal("technology", (await EntityAsync(cobol)).GetProperty("entity_type").GetString());
        Assert.Equal($"{cobol} is a programming language for business computing.", (await EntityAsync(cobol)).GetProperty("description").GetString());
        using (var cut = await stack.Api.GetAsync($"/graph/entities/{Uri.EscapeDataString("a record cut short")}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, cut.StatusCode);
        }
        var relations = JsonDocument.Parse(await stack.Api.GetStringAsync($"/graph/entities/{Uri.EscapeDataString(hopper)}/relations")).RootElement;
        var partners = relations.EnumerateArray()
            .Select(r => r.GetProperty("source").GetString() == hopper ? r.GetProperty("target").GetString() : r.GetProperty("source").GetString())
            .Order().ToList();
        Assert.Equal(new[] { cobol, lab, mark }.Order(), partners);

        // Vectors carry the embedding model's dimension, in all three collections.
        Assert.Equal(ScriptedOllamaServer.EmbeddingDimensions, await stack.ScalarAsync(
            "SELECT min(array_length(embedding, 1)) FROM vectors WHERE collection = 'chunks' AND content = @c", ("c", second)));
        Assert.Equal(4, await stack.ScalarAsync(
            "SELECT count(*) FROM vectors WHERE collection = 'entities' AND payload->>'entity_name' LIKE @t AND array_length(embedding, 1) = @d",
            ("t", $"%{_tag}"), ("d", ScriptedOllamaServer.EmbeddingDimensions)));
        Assert.Equal(3, await stack.ScalarAsync(
            "SELECT count(*) FROM vectors WHERE collection = 'relationships' AND payload->>'src_id' LIKE @t AND array_length(embedding, 1) = @d",
            ("t", $"%{_tag}"), ("d", ScriptedOllamaServer.EmbeddingDimensions)));

        var naive = await QueryAsync(new { query = $"Who led the {cobol} effort for business computing?", mode = "naive", top_k = 3 });
        Assert.Contains(second, naive.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("content").GetString()));

        var before = await FingerprintAsync();
        await SubmitAndWaitAsync(first, second);
        Assert.Equal(before, await FingerprintAsync());
    }

    [Fact]
    public async Task A_description_with_eight_fragments_is_summarised_by_the_chat_model()
    {
        var ada = $"Ada{_tag}";
        var chunks = Enumerable.Range(1, 8).Select(i => $"Note {i} on {ada}: fact number {i} about her work.").ToArray();
        foreach (var (text, i) in chunks.Select((t, i) => (t, i + 1)))
        {
            Ollama.Script(text, $"entity<|#|>{ada}<|#|>person<|#|>{ada} is known for fact number {i}.\n<|COMPLETE|>", "<|COMPLETE|>");
        }

        var summaries = Ollama.SummaryCalls;
        await SubmitAndWaitAsync(chunks);

        // Once, when the job's chunks were all merged: not once per chunk from the eighth fragment on.
        Assert.Equal(1, Ollama.SummaryCalls - summaries);
        var node = await EntityAsync(ada);
        Assert.Equal($"{ScriptedOllamaServer.SummaryPrefix}{ada} from 8 descriptions.", node.GetProperty("description").GetString());
        Assert.Equal(8, node.GetProperty("source_chunk_ids").GetArrayLength());
        Assert.True(Ollama.SummaryCalls > summaries);
        // The entity's vector embeds the summary, not the fragments.
        Assert.Equal(1, await stack.ScalarAsync(
            "SELECT count(*) FROM vectors WHERE collection = 'entities' AND payload->>'entity_name' = @n AND content LIKE @s",
            ("n", ada), ("s", $"%{ScriptedOllamaServer.SummaryPrefix}%")));
    }

    [Fact]
    public async Task A_document_ingested_again_costs_no_model_call_and_no_embedding_and_changes_nothing()
    {
        var texts = ScriptEntityInEveryChunk($"Babbage{_tag}", chunks: 3);
        await SubmitAndWaitAsync(texts);
        var paid = (Ollama.ExtractionCalls, Ollama.GleaningCalls, Ollama.SummaryCalls, Ollama.EmbeddedTexts);
        var graph = await FingerprintAsync();

        var again = await SubmitAndWaitAsync(texts);

        Assert.Equal(("completed", 3), (again.GetProperty("status").GetString(), again.GetProperty("chunks_processed").GetInt32()));
        Assert.Equal(paid, (Ollama.ExtractionCalls, Ollama.GleaningCalls, Ollama.SummaryCalls, Ollama.EmbeddedTexts));
        Assert.Equal(graph, await FingerprintAsync());
    }

    [Fact]
    public async Task Two_jobs_sharing_an_entity_at_once_lose_no_update_and_leave_one_summary_covering_all_its_fragments()
    {
        var shared = $"Lovelace{_tag}";
        await SubmitAtOnceAndWaitAsync(ScriptEntityInEveryChunk(shared, chunks: 8, note: "first"), ScriptEntityInEveryChunk(shared, chunks: 8, note: "second"));

        // Each job brought 8 descriptions: whichever finalised second summarised the first one's summary with its own 8,
        // however the two interleaved.
        var node = await EntityAsync(shared);
        var summary = $"{ScriptedOllamaServer.SummaryPrefix}{shared} from 9 descriptions.";
        Assert.Equal(summary, node.GetProperty("description").GetString());
        Assert.Equal(16, node.GetProperty("source_chunk_ids").GetArrayLength());
        Assert.Equal(16, await stack.ScalarAsync(
            "SELECT coalesce(sum(fragments), 0) FROM graph_descriptions WHERE source_name = @n AND target_name = '' AND covered", ("n", shared)));
        Assert.Equal(1, await stack.ScalarAsync(
            "SELECT count(*) FROM vectors WHERE collection = 'entities' AND payload->>'entity_name' = @n AND content = @c",
            ("n", shared), ("c", $"{shared}\n{summary}")));
    }

    [Fact]
    public async Task A_job_bringing_few_descriptions_of_an_entity_another_job_summarises_at_once_leaves_them_joined_after_that_summary()
    {
        var shared = $"Somerville{_tag}";
        await SubmitAtOnceAndWaitAsync(ScriptEntityInEveryChunk(shared, chunks: 8, note: "many"), ScriptEntityInEveryChunk(shared, chunks: 4, note: "few"));

        // One summary, of the 8 the first job brought; the second job's 4 follow it joined (LightRAG would have paid for
        // a summary of all 12), whichever job finalised first and however their chunks interleaved.
        var description = (await EntityAsync(shared)).GetProperty("description").GetString()!;
        var parts = description.Split("<SEP>");
        Assert.Equal($"{ScriptedOllamaServer.SummaryPrefix}{shared} from 8 descriptions.", parts[0]);
        Assert.Equal(Enumerable.Range(1, 4).Select(i => $"{shared} is known for fact few {i}."), parts[1..].Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_worker_killed_mid_job_asks_the_model_nothing_it_had_answered_and_loses_nothing()
    {
        var chunkTexts = ScriptEntityInEveryChunk($"Hollerith{_tag}", chunks: 24);
        var (answers, texts, cached) = (Ollama.DistinctAnswers, Ollama.EmbeddedTexts, await CacheEntriesAsync());
        var accepted = await stack.Api.SubmitAsync(new
        {
            chunks = chunkTexts.Select((text, i) => new { text, source_uri = $"live://{_tag}/{i}" }).ToArray(),
            source_type = "live",
        });
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await Eventually.TrueAsync(async () =>
            JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement.GetProperty("chunks_processed").GetInt32() >= 4,
            JobTimeout, "the job did not start");

        // From now on a chunk's extraction is answered and its gleaning held: the chunks a worker holds have answers the
        // model gave. Once nothing else is being answered, the busiest worker dies with them.
        // "Answered" means the answer reached the cache: every conversation the model answered and every text it
        // embedded in this test has its entry (the client writes it just after the answer arrives).
        Ollama.HoldChatCalls(gleaningOnly: true);
        await Eventually.TrueAsync(async () => Ollama.HeldCalls > 0 && DateTime.UtcNow - Ollama.LastAnswerAt > TimeSpan.FromSeconds(1)
            && await CacheEntriesAsync() - cached == Ollama.DistinctAnswers - answers + (Ollama.EmbeddedTexts - texts),
            JobTimeout, "no gleaning call was held, or the answers given did not all reach the cache");
        var victim = await WorkerProcesses.BusiestAsync(stack.Redis);
        var hits = await ChatCacheHitsAsync(except: victim.ProcessId);
        var answeredBeforeTheKill = Ollama.AnsweredConversations;
        Process.GetProcessById(victim.Pid).Kill();
        Ollama.ReleaseChatCalls();

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 24, 24, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
        // The chunks it held were claimed by the other worker: what the model had answered came from the cache. (Its
        // held gleaning calls were in flight, unanswered: those are asked again, as a dead worker's calls must be.)
        Assert.Empty(Ollama.AnsweredAgain(answeredBeforeTheKill));
        await Eventually.TrueAsync(async () => await ChatCacheHitsAsync(except: victim.ProcessId) > hits, TimeSpan.FromSeconds(30),
            "the reclaimed chunks' answers did not come from the model cache");
    }

    [Fact]
    public async Task Model_errors_cost_attempts_and_are_retried_so_the_job_still_loses_and_doubles_nothing()
    {
        var failed = Ollama.FailedCalls;
        Ollama.FailNextChatCalls(2);

        var accepted = await stack.Api.SubmitAsync(JobAudit.Payload(6, "model-errors-" + _tag));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(2, Ollama.FailedCalls - failed);
        Assert.Equal(new JobAudit("completed", 6, 6, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task A_hanging_model_call_times_out_as_a_failed_attempt_and_the_retry_succeeds()
    {
        var hung = Ollama.HungCalls;
        Ollama.HangNextChatCalls(1);

        var accepted = await stack.Api.SubmitAsync(JobAudit.Payload(1, "model-hang-" + _tag));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, JobTimeout);

        Assert.Equal(1, Ollama.HungCalls - hung);
        Assert.Equal(new JobAudit("completed", 1, 1, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task A_model_server_that_is_unavailable_is_waited_out_without_using_attempts_and_shows_in_health()
    {
        // Four 503s for a single chunk: as failed attempts they would dead-letter it (3 attempts); as an outage
        // the chunk waits (1 + 2 + 4 + 8 s) and then succeeds.
        Ollama.FailNextChatCalls(4, HttpStatusCode.ServiceUnavailable);

        var accepted = await stack.Api.SubmitAsync(JobAudit.Payload(1, "model-outage-" + _tag));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        await Eventually.TrueAsync(async () =>
        {
            using var response = await stack.Api.GetAsync("/health/detailed");
            var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            return report.GetProperty("status").GetString() == "degraded"
                && report.GetProperty("model_backend").GetProperty("status").GetString() == "degraded";
        }, TimeSpan.FromSeconds(15), "/health/detailed did not show the failing model server");

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 1, 1, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
        await Eventually.TrueAsync(async () =>
            JsonDocument.Parse(await stack.Api.GetStringAsync("/health/detailed")).RootElement
                .GetProperty("model_backend").GetProperty("status").GetString() == "up",
            TimeSpan.FromSeconds(15), "the model backend did not recover in /health/detailed");
    }

    /// <summary>Chunks that each name <paramref name="name"/>, scripted to be extracted as one entity with a fact per chunk.</summary>
    private string[] ScriptEntityInEveryChunk(string name, int chunks, string note = "note")
    {
        var texts = Enumerable.Range(1, chunks).Select(i => $"The {note} {i} on {name}: fact {note} {i} about the machine.").ToArray();
        foreach (var (text, i) in texts.Select((t, i) => (t, i + 1)))
        {
            Ollama.Script(text, $"entity<|#|>{name}<|#|>person<|#|>{name} is known for fact {note} {i}.\n<|COMPLETE|>", "<|COMPLETE|>");
        }
        return texts;
    }

    /// <summary>Submits each job's chunks at once (the jobs' merges and finalisations interleave) and waits for every job to end.</summary>
    private async Task SubmitAtOnceAndWaitAsync(params string[][] jobs)
    {
        var ids = await Task.WhenAll(jobs.Select(texts => SubmitAsync(texts)));
        foreach (var id in ids) await stack.Api.WaitForJobAsync(id, JobTimeout);
    }

    private async Task<string> SubmitAsync(params string[] texts)
    {
        var accepted = await stack.Api.SubmitAsync(new
        {
            chunks = texts.Select((text, i) => new { text, source_uri = $"live://{_tag}/{Guid.NewGuid():N}/{i}" }).ToArray(),
            source_type = "live",
        });
        return accepted.GetProperty("job_id").GetString()!;
    }

    private Task<long> CacheEntriesAsync() => stack.ScalarAsync("SELECT count(*) FROM model_cache");

    /// <summary>Chat answers the Workers processes other than <paramref name="except"/> took from the model cache, from their heartbeats.</summary>
    private async Task<long> ChatCacheHitsAsync(string except)
    {
        var db = stack.Redis.GetDatabase();
        long hits = 0;
        await foreach (var key in stack.Redis.GetServers()[0].KeysAsync(pattern: WorkerHeartbeat.KeyPrefix + "*"))
        {
            if (WorkerHeartbeat.FromJson((await db.StringGetAsync(key))!) is { } beat && beat.ProcessId != except)
            {
                hits += beat.ModelCache?.ChatHits ?? 0;
            }
        }
        return hits;
    }

    private async Task<JsonElement> SubmitAndWaitAsync(params string[] texts)
    {
        var accepted = await stack.Api.SubmitAsync(new
        {
            chunks = texts.Select((text, i) => new { text, source_uri = $"live://{_tag}/{i}" }).ToArray(),
            source_type = "live",
        });
        return await stack.Api.WaitForJobAsync(accepted.GetProperty("job_id").GetString()!, JobTimeout);
    }

    private async Task<JsonElement> EntityAsync(string name)
    {
        using var response = await stack.Api.GetAsync($"/graph/entities/{Uri.EscapeDataString(name)}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{name}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement> QueryAsync(object query)
    {
        using var response = await stack.Api.PostAsync("/lightrag/query", JsonContent.Create(query));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<string> FingerprintAsync()
    {
        var like = $"%{_tag}";
        var parts = new[]
        {
            await stack.ScalarAsync("SELECT count(*) FROM graph_entities WHERE name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM graph_relationships WHERE source_name LIKE @t OR target_name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM graph_entity_fragments WHERE entity_name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT sum(length(description) + array_length(source_chunk_ids, 1)) FROM graph_entities WHERE name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM vectors WHERE payload->>'entity_name' LIKE @t OR payload->>'src_id' LIKE @t OR content LIKE @c", ("t", like), ("c", $"%{_tag}%")),
        };
        return string.Join(",", parts);
    }
}
