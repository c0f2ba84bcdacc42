using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shield.Api.Ingestion;
using Shield.Documents.Chunking;
using Shield.Drills.Models;
using Shield.Ingestion;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using Shield.Knowledge;
using Shield.Knowledge.ModelCache;
using Shield.Workers.Documents;
using Shield.Workers.Extraction;
using Shield.Workers.Finalization;
using Shield.Workers.Graph;
using Shield.Workers.Pool;
using Shield.Workers.Processing;
using StackExchange.Redis;

namespace Shield.Bench.Documents;

/// <summary>
/// The <c>document</c> workload: the real job. A generated document is cut into LightRAG's 1,200-token chunks by the
/// <see cref="TokenChunker"/> (Shield.Documents, as the Api cuts an upload), accepted as the Api accepts a job, and
/// processed by an unmodified Workers pipeline (extraction, graph merge, chunk vectors, then the job's finalisation:
/// summaries and entity and relation vectors) until the job is <c>completed</c>. The model back-end is the Workers'
/// embedded default (offline extractor, extractive summaries, MiniLM in process) or the counting
/// <see cref="ScriptedOllamaServer"/> behind the real Ollama client and model cache. Only observers are added: the
/// extractor's answers go to a ledger (to compute LightRAG's cost of the same answers), the summariser is counted, and
/// PostgreSQL round trips are counted from Npgsql's own metrics. Each run prints one JSON line for the first ingestion
/// of the document and one for a second ingestion of the same text; <c>--kb-documents N</c> first fills the knowledge
/// base with N other documents of the same world. <c>--kb-sizes</c> is the growth mode (<see cref="GrowthAsync"/>).
/// </summary>
public static class DocumentWorkload
{
    public static async Task<int> RunAsync(BenchOptions options, string redisEndpoint, string postgres)
    {
        await using var rig = await DocumentRig.StartAsync(options, redisEndpoint, postgres);
        if (options.KbSizes is { } sizes)
        {
            await GrowthAsync(rig, options, sizes, redisEndpoint, postgres);
            return 0;
        }
        var kbChunks = new List<string>();
        for (var d = 1; d <= options.KbDocuments; d++)
        {
            kbChunks.AddRange(await rig.IngestOtherAsync(d));
        }
        var document = rig.Document(options.Document);
        foreach (var ingestion in new[] { "first", "second" })
        {
            var (result, _) = await rig.MeasureAsync(document, options.Document, ingestion, kbChunks);
            result["kb_documents"] = options.KbDocuments;
            Console.WriteLine(result.ToJsonString());
        }
        return 0;
    }

    /// <summary>
    /// The growth mode: the knowledge base grows document by document to each of <paramref name="sizes"/>, and at each
    /// size <c>--probes</c> probe documents (each new to it, of the same world) are ingested twice by the harness's
    /// Workers pool; naive and local queries are timed through an Api process; one probe is deleted (timed); and, with
    /// <c>--compare-processes</c>, a document and a burst of documents at once are ingested with one Workers process and
    /// with a second beside it (the burst optionally against a model that takes <c>--burst-latency-ms</c> per answer).
    /// Documents measured stay in the knowledge base and count toward the next size, except at the first size, where
    /// each is deleted again (deleting is cheap while the knowledge base is small, and it keeps the empty knowledge base
    /// empty). Before anything is measured a warm-up document is ingested and deleted, so the empty knowledge base is
    /// measured with compiled code, as every later size is. One JSON line per size.
    /// </summary>
    private static async Task GrowthAsync(DocumentRig rig, BenchOptions options, IReadOnlyList<int> sizes, string redisEndpoint, string postgres)
    {
        var services = rig.ServiceSettings(redisEndpoint, postgres);
        var apiKey = "bench-" + Guid.NewGuid().ToString("N");
        var endpoint = new Uri($"http://127.0.0.1:{LocalServers.FreePort()}/");
        await using var api = await ServiceProcess.StartApiAsync(new Dictionary<string, string>(services) { ["Shield__Api__ApiKey"] = apiKey }, endpoint);
        using var http = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);

        var warmUp = await rig.MeasureAsync(rig.Document(9_000), 9_000, "first", []);
        await rig.DeleteAsync([warmUp.JobId]);

        var kb = new KnowledgeBaseContents();
        var next = 1;
        var clock = Stopwatch.StartNew();
        for (var point = 0; point < sizes.Count; point++)
        {
            while (kb.Documents < sizes[point])
            {
                kb.Add(await rig.IngestOtherAsync(next++), []);
                if (kb.Documents % 10 == 0) Console.Error.WriteLine($"knowledge base: {kb.Documents} documents, {kb.Chunks.Count} chunks ({clock.Elapsed:hh\\:mm\\:ss})");
            }
            var (documents, chunks) = (kb.Documents, kb.Chunks.Count);
            var keep = point > 0;

            // The medians of several probes, so one noisy moment of a shared machine does not decide.
            var (firsts, seconds) = (new List<JsonObject>(), new List<JsonObject>());
            IReadOnlyList<DocumentChunk> document = [];
            (Guid First, Guid Second, IReadOnlyList<string> Chunks) last = default;
            for (var p = 0; p < options.Probes; p++)
            {
                var probe = 10_000 + 100 * point + p;
                document = rig.Document(probe);
                var (first, firstJob) = await rig.MeasureAsync(document, probe, "first", kb.Chunks);
                var (again, againJob) = await rig.MeasureAsync(document, probe, "second", kb.Chunks);
                firsts.Add(Summary(first));
                seconds.Add(Summary(again));
                last = (firstJob, againJob, [.. document.Select(c => ChunkIds.ForContent(c.Content))]);
                if (keep && p < options.Probes - 1) kb.Add(last.Chunks, [firstJob, againJob]);
                else if (!keep) await rig.DeleteAsync([firstJob, againJob]);
            }
            var coverage = rig.Coverage(document);
            var queries = await QueryLatenciesAsync(http, options.Queries);
            // A deletion: the last probe's nodes and edges rebuilt from what the rest of the knowledge base says
            // (history-sized work: it replays the summaries of every job holding their chunks).
            var deletion = Stopwatch.StartNew();
            if (keep) await rig.DeleteAsync([last.First, last.Second]);
            deletion.Stop();

            var line = new JsonObject
            {
                ["system"] = "shield",
                ["workload"] = "document-growth",
                ["model"] = options.Model,
                ["corpus"] = options.Corpus,
                ["kb_documents"] = documents,
                ["kb_chunks"] = chunks,
                ["chunks"] = document.Count,
                ["pool_size"] = options.PoolSize,
                ["frequent_entities"] = coverage,
                ["probes"] = options.Probes,
                ["first"] = Median(firsts),
                ["second"] = Median(seconds),
                ["first_chunks_per_s_runs"] = new JsonArray([.. firsts.Select(f => (JsonNode?)f["chunks_per_s"]!.GetValue<double>())]),
                ["second_chunks_per_s_runs"] = new JsonArray([.. seconds.Select(f => (JsonNode?)f["chunks_per_s"]!.GetValue<double>())]),
                ["queries"] = queries,
                ["deletion_seconds"] = keep ? Math.Round(deletion.Elapsed.TotalSeconds, 2) : null,
            };
            if (options.CompareProcesses)
            {
                line["two_workers_processes"] = await CompareProcessesAsync(rig, options, services, kb, point, keep,
                    Median(firsts)["chunks_per_s"]!.GetValue<double>(), Median(seconds)["chunks_per_s"]!.GetValue<double>());
            }
            line["load_average_1m"] = DocumentRig.LoadAverage();
            line["processors"] = Environment.ProcessorCount;
            Console.WriteLine(line.ToJsonString());
        }
    }

    /// <summary>
    /// One Workers process against two: a document (first and second ingestion) with the second process beside the
    /// harness's pool, and a burst of <see cref="BurstDocuments"/> documents at once with one and then with two.
    /// </summary>
    private static async Task<JsonObject> CompareProcessesAsync(DocumentRig rig, BenchOptions options, IReadOnlyDictionary<string, string> services,
        KnowledgeBaseContents kb, int point, bool keep, double firstOneProcess, double secondOneProcess)
    {
        async Task<double> BurstAsync(IReadOnlyList<int> numbers)
        {
            rig.ModelLatency = TimeSpan.FromMilliseconds(options.BurstLatencyMs);
            try
            {
                var (perSecond, jobs) = await rig.BurstAsync(numbers);
                if (keep) kb.Add([.. numbers.SelectMany(n => rig.Document(n).Select(c => ChunkIds.ForContent(c.Content)))], jobs);
                else await rig.DeleteAsync(jobs);
                return perSecond;
            }
            finally
            {
                rig.ModelLatency = TimeSpan.Zero;
            }
        }

        var burst = Enumerable.Range(20_000 + 100 * point, 2 * BurstDocuments).ToList();
        var burstOne = await BurstAsync(burst[..BurstDocuments]);
        await using var second = await ServiceProcess.StartWorkersAsync(services, rig.Redis);
        // The new process compiles its code on first use: a document through both before anything is timed.
        var warm = 9_001 + point;
        var (_, warmJob) = await rig.MeasureAsync(rig.Document(warm), warm, "first", kb.Chunks);
        await Settle(warmJob, warm);
        var other = 10_000 + 100 * point + 99;
        var otherDocument = rig.Document(other);
        var (two, twoJob) = await rig.MeasureAsync(otherDocument, other, "first", kb.Chunks);
        var (twoAgain, twoAgainJob) = await rig.MeasureAsync(otherDocument, other, "second", kb.Chunks);
        if (keep) kb.Add([.. otherDocument.Select(c => ChunkIds.ForContent(c.Content))], [twoJob, twoAgainJob]);
        else await rig.DeleteAsync([twoJob, twoAgainJob]);
        var burstTwo = await BurstAsync(burst[BurstDocuments..]);
        return new JsonObject
        {
            ["first_chunks_per_s"] = two["chunks_per_s"]!.GetValue<double>(),
            ["second_chunks_per_s"] = twoAgain["chunks_per_s"]!.GetValue<double>(),
            ["speedup_first"] = Math.Round(two["chunks_per_s"]!.GetValue<double>() / firstOneProcess, 2),
            ["speedup_second"] = Math.Round(twoAgain["chunks_per_s"]!.GetValue<double>() / secondOneProcess, 2),
            ["burst_documents"] = BurstDocuments,
            ["burst_model_latency_ms"] = options.BurstLatencyMs,
            ["burst_chunks_per_s_one_process"] = burstOne,
            ["burst_chunks_per_s_two_processes"] = burstTwo,
            ["burst_speedup"] = Math.Round(burstTwo / burstOne, 2),
        };

        async Task Settle(Guid job, int number)
        {
            if (keep) kb.Add([.. rig.Document(number).Select(c => ChunkIds.ForContent(c.Content))], [job]);
            else await rig.DeleteAsync([job]);
        }
    }

    /// <summary>What the growth run's knowledge base holds: its documents' chunk ids (for LightRAG's cost on it) and count.</summary>
    private sealed class KnowledgeBaseContents
    {
        private readonly List<string> _chunks = [];

        public int Documents { get; private set; }

        public IReadOnlyList<string> Chunks => _chunks;

        public void Add(IReadOnlyList<string> chunks, IReadOnlyList<Guid> jobs)
        {
            _chunks.AddRange(chunks);
            Documents++;
        }
    }

    /// <summary>Each number the median of the runs' (objects field by field; anything else the first run's that has it).</summary>
    private static JsonObject Median(IReadOnlyList<JsonObject> runs)
    {
        var median = new JsonObject();
        // A run may lack a field another has (a stage it did not pass through): the median of those that have it.
        foreach (var name in runs.SelectMany(r => r.Select(field => field.Key)).Distinct())
        {
            var values = runs.Select(r => r[name]).OfType<JsonNode>().ToList();
            var value = values.FirstOrDefault();
            median[name] = value switch
            {
                JsonObject => Median([.. values.OfType<JsonObject>()]),
                JsonValue v when v.TryGetValue<double>(out _) =>
                    values.Select(x => x.GetValue<double>()).Order().ElementAt(values.Count / 2),
                _ => value?.DeepClone(),
            };
        }
        return median;
    }

    /// <summary>Documents submitted at once for the throughput comparison of one and two Workers processes.</summary>
    private const int BurstDocuments = 4;

    /// <summary>The fields of one measured ingestion the growth table shows.</summary>
    private static JsonObject Summary(JsonObject run)
    {
        var stages = run["stage_ms_per_chunk"]!.AsObject();
        double Stage(string name) => stages.TryGetPropertyValue(name, out var v) && v is not null ? v.GetValue<double>() : 0;
        return new JsonObject
        {
            ["seconds"] = run["seconds"]!.GetValue<double>(),
            ["chunks_per_s"] = run["chunks_per_s"]!.GetValue<double>(),
            ["merge_ms_per_chunk"] = Stage("chunk/merge graph"),
            ["finalize_ms_per_chunk"] = Stage("finalize/total"),
            ["chunk_ms_per_chunk"] = Stage("chunk/total"),
            ["round_trips_per_chunk"] = run["round_trips_per_chunk"]!.DeepClone(),
            ["stage_ms_per_chunk"] = run["stage_ms_per_chunk"]!.DeepClone(),
            ["summaries_by_rule"] = run["summaries_by_rule"]!.DeepClone(),
            ["lightrag_summaries"] = run["lightrag_summaries"]!.DeepClone(),
            ["calls_per_chunk"] = run["calls_per_chunk"]!.GetValue<double>(),
            ["texts_per_chunk"] = run["texts_per_chunk"]!.GetValue<double>(),
            ["lightrag_calls_per_chunk"] = Math.Round(run["lightrag_calls"]!.GetValue<int>() / (double)run["chunks"]!.GetValue<int>(), 3),
            ["lightrag_texts_per_chunk"] = Math.Round(run["lightrag_texts"]!.GetValue<int>() / (double)run["chunks"]!.GetValue<int>(), 3),
            ["model_calls"] = run["model_calls"]!.DeepClone(),
            ["load_average_1m"] = run["load_average_1m"]?.DeepClone(),
        };
    }

    /// <summary>
    /// <paramref name="count"/> naive and <paramref name="count"/> local queries through the Api (after a few unmeasured
    /// ones), about the world's people and organisations: p50 and p95 latency in milliseconds, as a client sees it.
    /// </summary>
    private static async Task<JsonObject> QueryLatenciesAsync(HttpClient http, int count)
    {
        var result = new JsonObject();
        foreach (var mode in new[] { "naive", "local" })
        {
            var times = new List<double>();
            for (var i = -3; i < count; i++)
            {
                var person = DocumentCorpus.People[(i + 3) % DocumentCorpus.People.Count].Name;
                var organisation = DocumentCorpus.Organisations[(i + 3) % DocumentCorpus.Organisations.Count].Name;
                var watch = Stopwatch.StartNew();
                using var response = await http.PostAsync("/lightrag/query",
                    ServiceProcess.Json(new { query = $"What did {person} do for the {organisation}?", mode, top_k = 10 }));
                await response.Content.ReadAsByteArrayAsync();
                watch.Stop();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"a {mode} query answered {(int)response.StatusCode}");
                if (i >= 0) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double Percentile(double p) => times.Count == 0 ? 0 : Math.Round(times[Math.Min(times.Count - 1, (int)Math.Ceiling(p / 100 * times.Count) - 1)], 1);
            result[mode] = new JsonObject { ["p50_ms"] = Percentile(50), ["p95_ms"] = Percentile(95), ["queries"] = times.Count };
        }
        return result;
    }
}

/// <summary>
/// The harness's Workers process for the document workload: the Workers' own registrations over the bench's Redis
/// and PostgreSQL and the chosen model back-end, with the observers (extraction ledger, counted summariser, stage
/// times, PostgreSQL round trips), and the means to ingest a document as the Api accepts one and to delete it as
/// a document deletion does.
/// </summary>
public sealed class DocumentRig : IAsyncDisposable
{
    private const string ChatModel = "scripted-chat:1b";
    private const string EmbeddingModel = "scripted-embed";

    private readonly BenchOptions _options;
    private readonly TokenChunker _chunker = new();
    private readonly ScriptedOllamaServer? _ollama;
    private readonly ExtractionLedger _ledger;
    private readonly IHost _host;
    private readonly StageTimes _stages;
    private readonly ModelCacheStats _cache;
    private readonly CountedSummarizer? _summaries;
    private readonly int _gleaning;

    private DocumentRig(BenchOptions options, ScriptedOllamaServer? ollama, ExtractionLedger ledger, IHost host, StageTimes stages,
        CountedSummarizer? summaries)
    {
        (_options, _ollama, _ledger, _host, _stages, _summaries) = (options, ollama, ledger, host, stages, summaries);
        _cache = host.Services.GetRequiredService<ModelCacheStats>();
        Redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        _gleaning = ollama is null ? 0 : host.Services.GetRequiredService<IOptions<ExtractionOptions>>().Value.MaxGleaning;
    }

    public IConnectionMultiplexer Redis { get; }

    /// <summary>How long the scripted model takes to answer a chat call (and a fifth of it an embedding call); zero: at once.</summary>
    public TimeSpan ModelLatency
    {
        get => _ollama?.ChatLatency ?? TimeSpan.Zero;
        set
        {
            if (_ollama is null) return;
            (_ollama.ChatLatency, _ollama.EmbedLatency) = (value, value / 5);
        }
    }

    public static async Task<DocumentRig> StartAsync(BenchOptions options, string redisEndpoint, string postgres)
    {
        var ollama = options.Model == "scripted" ? await ScriptedOllamaServer.StartAsync(ChatModel, EmbeddingModel) : null;
        ollama?.ScriptWith(ScriptedExtraction.Answer);
        var ledger = new ExtractionLedger(new TokenChunker().Tokenizer);

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redisEndpoint,
            ["ConnectionStrings:shield"] = postgres,
            ["Shield:Workers:PoolSize"] = options.PoolSize.ToString(CultureInfo.InvariantCulture),
            ["Shield:Workers:GracefulShutdownTimeout"] = "10",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "None",
        };
        if (ollama is not null)
        {
            settings["ConnectionStrings:chat"] = $"Endpoint={ollama.Endpoint};Model={ChatModel}";
            settings["ConnectionStrings:embeddings"] = $"Endpoint={ollama.Endpoint};Model={EmbeddingModel}";
        }
        builder.Configuration.AddInMemoryCollection(settings);

        // Exactly the Workers' Program.cs registrations (without ServiceDefaults' exporters), plus two observers.
        builder.AddRedisClient("redis");
        builder.AddNpgsqlDbContext<ShieldDbContext>("shield");
        builder.Services.AddJobTracking();
        builder.AddChunkProcessing();
        builder.AddWorkerPool();
        Observe<IEntityExtractor>(builder.Services, inner => new LedgerExtractor(inner, ledger));
        CountedSummarizer? summaries = null;
        Observe<IDescriptionSummarizer>(builder.Services, inner => summaries = new CountedSummarizer(inner));

        var stages = new StageTimes();
        var host = builder.Build();
        await host.Services.MigrateShieldDatabaseAsync();
        // Starts the pool (idle, waiting for a wake-up) and, with the embedded default, loads MiniLM.
        await host.StartAsync();
        return new DocumentRig(options, ollama, ledger, host, stages, summaries);
    }

    /// <summary>What a Workers or Api process of this run is configured with, as environment variables.</summary>
    public IReadOnlyDictionary<string, string> ServiceSettings(string redisEndpoint, string postgres)
    {
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redisEndpoint,
            ["ConnectionStrings__shield"] = postgres,
            ["Shield__Workers__PoolSize"] = _options.PoolSize.ToString(CultureInfo.InvariantCulture),
        };
        if (_ollama is not null)
        {
            settings["ConnectionStrings__chat"] = $"Endpoint={_ollama.Endpoint};Model={ChatModel}";
            settings["ConnectionStrings__embeddings"] = $"Endpoint={_ollama.Endpoint};Model={EmbeddingModel}";
        }
        return settings;
    }

    /// <summary>Document <paramref name="number"/> of the run's corpus, cut into the run's chunks.</summary>
    public IReadOnlyList<DocumentChunk> Document(int number) =>
        _chunker.Split(DocumentCorpus.Document(number, _options.Chunks * Step, _chunker.Tokenizer,
            _options.Corpus == "frequent" ? CorpusKind.Frequent : CorpusKind.World));

    /// <summary>Ingests another document of the knowledge base (unmeasured); returns its chunk ids.</summary>
    public async Task<IReadOnlyList<string>> IngestOtherAsync(int number)
    {
        var chunks = Document(number);
        await IngestAsync(chunks, number, Guid.CreateVersion7());
        return [.. chunks.Select(c => ChunkIds.ForContent(c.Content))];
    }

    /// <summary>How many of the document's chunks name the frequent corpus's two organisations (by the extractor's answers).</summary>
    public JsonObject Coverage(IReadOnlyList<DocumentChunk> document)
    {
        var ids = document.Select(c => ChunkIds.ForContent(c.Content)).ToList();
        return new JsonObject
        {
            [DocumentCorpus.EveryChunk.Name] = _ledger.ChunksNaming(ids, DocumentCorpus.EveryChunk.Name),
            [DocumentCorpus.HalfTheChunks.Name] = _ledger.ChunksNaming(ids, DocumentCorpus.HalfTheChunks.Name),
            ["of"] = ids.Count,
        };
    }

    /// <summary>
    /// One measured ingestion of <paramref name="document"/> into a knowledge base holding <paramref name="kbChunks"/>:
    /// the run's figures (calls and texts next to LightRAG's for the same answers, stage times, round trips).
    /// </summary>
    public async Task<(JsonObject Result, Guid JobId)> MeasureAsync(IReadOnlyList<DocumentChunk> document, int number, string ingestion,
        IReadOnlyList<string> kbChunks)
    {
        var ids = document.Select(c => ChunkIds.ForContent(c.Content)).Distinct().ToList();
        var load = LoadAverage();
        var (server, model, summarised, reused, finalized, cached) = Counters();
        _stages.Reset();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var jobId = Guid.CreateVersion7();
        var finalizations = _stages.Finalizations;
        var seconds = await IngestAsync(document, number, jobId);
        await _stages.WaitForFinalizationAsync(finalizations, TimeSpan.FromSeconds(10));
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var after = Counters();
        var calls = _ollama is null
            ? new { extract = (long)_ledger.Calls - model, gleaning = 0L, summary = _summaries!.Calls - summarised }
            : new { extract = (long)_ollama.ExtractionCalls - server.Extract, gleaning = (long)_ollama.GleaningCalls - server.Gleaning, summary = (long)_ollama.SummaryCalls - server.Summary };
        var texts = _ollama is null ? after.Cached.TextsEmbedded - cached.TextsEmbedded : _ollama.EmbeddedTexts - server.Texts;
        // LightRAG's figures: from the same answers, for a first ingestion (LightRAG skips a document it holds: 0, 0).
        var lightRag = ingestion == "first" ? _ledger.CostOf(ids, kbChunks, _gleaning) : new LightRagCost(0, 0, 0, 0, 0);
        var total = calls.extract + calls.gleaning + calls.summary;
        var result = new JsonObject
        {
            ["system"] = "shield",
            ["workload"] = "document",
            ["model"] = _options.Model,
            ["corpus"] = _options.Corpus,
            ["ingestion"] = ingestion,
            ["kb_documents"] = null,
            ["chunks"] = document.Count,
            ["chunk_tokens"] = _chunker.Options.ChunkTokenSize,
            ["document_tokens"] = document[^1].FirstToken + document[^1].Tokens,
            ["pool_size"] = _options.PoolSize,
            ["seconds"] = Math.Round(seconds, 2),
            ["chunks_per_s"] = Math.Round(document.Count / seconds, 2),
            // CPU this process used (Workers pipeline, in-process models, the scripted server; not PostgreSQL or Redis): on a shared machine
            // the wall time stretches, this does not; chunks / (cpu / cores) bounds the rate on an idle machine.
            ["process_cpu_seconds"] = Math.Round(cpu.TotalSeconds, 1),
            ["model_calls"] = JsonSerializer.SerializeToNode(calls),
            ["calls"] = total,
            ["texts_embedded"] = texts,
            ["lightrag_calls"] = lightRag.Calls,
            ["lightrag_texts"] = lightRag.Texts,
            ["lightrag_summaries"] = lightRag.Summaries,
            ["entities"] = lightRag.Entities,
            ["relations"] = lightRag.Relations,
            ["calls_per_chunk"] = Math.Round((double)total / document.Count, 3),
            ["texts_per_chunk"] = Math.Round((double)texts / document.Count, 3),
            ["cache"] = new JsonObject
            {
                ["chat_hits"] = after.Cached.ChatHits - cached.ChatHits,
                ["chat_misses"] = after.Cached.ChatMisses - cached.ChatMisses,
                ["embedding_hits"] = after.Cached.EmbeddingHits - cached.EmbeddingHits,
                ["embedding_misses"] = after.Cached.EmbeddingMisses - cached.EmbeddingMisses,
            },
            ["chunks_reused"] = after.Reused - reused,
            ["elements_finalized"] = after.Finalized - finalized,
            ["stage_ms_per_chunk"] = _stages.PerChunk(document.Count),
            // PostgreSQL round trips of this process (Npgsql's db.client.operation.duration, one per command or batch),
            // per chunk: in all, and within the chunk's merge and the job's finalisation.
            ["round_trips_per_chunk"] = _stages.RoundTripsPerChunk(document.Count),
            ["summaries_by_rule"] = _stages.Summaries,
            ["load_average_1m"] = load,
            ["processors"] = Environment.ProcessorCount,
        };
        return (result, jobId);
    }

    /// <summary>New documents <paramref name="numbers"/> submitted at once, until all are done: chunks per second, and their jobs.</summary>
    public async Task<(double ChunksPerSecond, IReadOnlyList<Guid> Jobs)> BurstAsync(IReadOnlyList<int> numbers)
    {
        var documents = numbers.Select(n => (Number: n, Chunks: Document(n), Job: Guid.CreateVersion7())).ToList();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(documents.Select(d => IngestAsync(d.Chunks, d.Number, d.Job)));
        return (Math.Round(documents.Sum(d => d.Chunks.Count) / watch.Elapsed.TotalSeconds, 2), [.. documents.Select(d => d.Job)]);
    }

    /// <summary>
    /// Deletes the documents of <paramref name="jobIds"/> as a document deletion does (their claims go, every node and
    /// edge they touched is rebuilt from what remains): the knowledge base is the one before they were ingested.
    /// </summary>
    public async Task DeleteAsync(IReadOnlyList<Guid> jobIds)
    {
        var deletion = Guid.CreateVersion7();
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DocumentDeleter>().DeleteAsync(deletion, jobIds, CancellationToken.None);
        }
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<JobFinalizer>().RebuildAsync(deletion, CancellationToken.None);
        }
    }

    private ((int Extract, int Gleaning, int Summary, int Texts) Server, long Model, long Summarised, long Reused, long Finalized, ModelCacheReport Cached) Counters() => (
        _ollama is null ? default : (_ollama.ExtractionCalls, _ollama.GleaningCalls, _ollama.SummaryCalls, _ollama.EmbeddedTexts),
        _ledger.Calls, _summaries?.Calls ?? 0, _stages.Reused, _stages.Finalized, _cache.Snapshot());

    /// <summary>As the Api accepts a job (backlog check, then JobStore.CreateAsync), then until the job has ended.</summary>
    private async Task<double> IngestAsync(IReadOnlyList<DocumentChunk> chunks, int number, Guid jobId)
    {
        var watch = Stopwatch.StartNew();
        var job = new NewJob(jobId, "bench-document", $$"""{"document":{{number}}}""",
            [.. chunks.Select(c => new NewChunk(c.Content, $"bench-document://{number}/{c.Index}", "{}"))]);
        await using (var scope = _host.Services.CreateAsyncScope())
        {
            _ = await new QueueBacklog(Redis).CountAsync();
            await scope.ServiceProvider.GetRequiredService<JobStore>().CreateAsync(job, CancellationToken.None);
        }
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var scope = _host.Services.CreateAsyncScope();
            var snapshot = await scope.ServiceProvider.GetRequiredService<JobStore>().GetAsync(job.JobId, CancellationToken.None);
            if (snapshot?.Status == "completed") return watch.Elapsed.TotalSeconds;
            if (snapshot?.Status is "failed" or "cancelled")
            {
                throw new InvalidOperationException($"document {number}: the job ended {snapshot.Status} ({snapshot.ChunksProcessed}/{snapshot.ChunksTotal} chunks processed)");
            }
            if (deadline.Elapsed > TimeSpan.FromMinutes(30)) throw new TimeoutException($"document {number} did not complete within 30 minutes");
            await Task.Delay(20);
        }
    }

    /// <summary>How far the chunker's window moves: a text of n steps is n chunks.</summary>
    private int Step => _chunker.Options.ChunkTokenSize - _chunker.Options.OverlapTokenSize;

    /// <summary>Wraps the registered <typeparamref name="T"/> (whatever the Workers chose) in an observer.</summary>
    private static void Observe<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var registered = services.Last(s => s.ServiceType == typeof(T));
        services.Remove(registered);
        var type = registered.ImplementationType ?? throw new InvalidOperationException($"{typeof(T).Name} is not registered by type");
        services.AddSingleton(type);
        services.AddSingleton(s => wrap((T)s.GetRequiredService(type)));
    }

    public static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            await _host.StopAsync(stopping.Token);
        }
        _host.Dispose();
        _stages.Dispose();
        if (_ollama is not null) await _ollama.DisposeAsync();
    }
}

/// <summary>
/// Where the time goes: the Workers' own pipeline-stage spans (<c>PipelineStage</c>), summed per stage, the stages of
/// a job's finalisation apart from the chunks' (prefixed <c>finalize/</c>); the Workers' counters of reused chunks
/// and finalised nodes and edges; and PostgreSQL round trips, counted from Npgsql's own metric
/// (<c>db.client.operation.duration</c>: one measurement per command or batch executed, that is per round trip), each
/// put down to the chunk's merge or the job's finalisation when that is the span it runs in.
/// </summary>
public sealed class StageTimes : IDisposable
{
    private const string FinalizeSpan = "finalize job";

    private readonly ConcurrentDictionary<string, long> _ticks = new();
    private readonly ActivityListener _listener;
    private readonly MeterListener _meters = new();
    private long _reused;
    private long _finalized;
    private readonly ConcurrentDictionary<string, long> _summaries = new();
    private long _roundTrips;
    private long _mergeRoundTrips;
    private long _finalizeRoundTrips;
    private long _finalizations;

    public StageTimes()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkerTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                string name;
                if (activity.Kind == ActivityKind.Consumer)
                {
                    name = activity.OperationName == FinalizeSpan ? "finalize/total" : "chunk/total";
                }
                else if (activity.Kind == ActivityKind.Internal && activity.Parent is { Kind: ActivityKind.Consumer } parent)
                {
                    name = (parent.OperationName == FinalizeSpan ? "finalize/" : "chunk/") + activity.OperationName;
                }
                else
                {
                    return;
                }
                _ticks.AddOrUpdate(name, activity.Duration.Ticks, (_, t) => t + activity.Duration.Ticks);
                if (name == "finalize/total") Interlocked.Increment(ref _finalizations);
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name == WorkerTelemetry.Name && instrument.Name is "shield.chunks.reused" or "shield.graph.finalized" or "shield.graph.summaries")
                || (instrument.Meter.Name == "Npgsql" && instrument.Name == "db.client.operation.duration"))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        // Called on the thread that ran the command, so the current activity is the stage it ran in.
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) =>
        {
            Interlocked.Increment(ref _roundTrips);
            for (var activity = Activity.Current; activity is not null; activity = activity.Parent)
            {
                if (activity.OperationName == "merge graph") { Interlocked.Increment(ref _mergeRoundTrips); break; }
                if (activity.OperationName == FinalizeSpan) { Interlocked.Increment(ref _finalizeRoundTrips); break; }
            }
        });
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "shield.chunks.reused") Interlocked.Add(ref _reused, value);
            else if (instrument.Name == "shield.graph.summaries")
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason") _summaries.AddOrUpdate((string)tag.Value!, value, (_, n) => n + value);
                }
            }
            else Interlocked.Add(ref _finalized, value);
        });
        _meters.Start();
    }

    /// <summary>Finalisation spans ended since the process started.</summary>
    public long Finalizations => Interlocked.Read(ref _finalizations);

    /// <summary>
    /// Waits until more than <paramref name="before"/> finalisation spans have ended: the job reads <c>completed</c>
    /// while its finalisation span is still open (the completion is written inside it), and a snapshot taken then
    /// would miss the span's time.
    /// </summary>
    public async Task WaitForFinalizationAsync(long before, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (Finalizations <= before && watch.Elapsed < timeout) await Task.Delay(5);
    }

    public long Reused => Interlocked.Read(ref _reused);
    public long Finalized => Interlocked.Read(ref _finalized);

    /// <summary>Summaries asked for since the last reset, by the rule that asked (the Workers' <c>shield.graph.summaries</c>).</summary>
    public JsonObject Summaries => new([.. _summaries.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);

    public void Reset()
    {
        _ticks.Clear();
        _summaries.Clear();
        Interlocked.Exchange(ref _roundTrips, 0);
        Interlocked.Exchange(ref _mergeRoundTrips, 0);
        Interlocked.Exchange(ref _finalizeRoundTrips, 0);
    }

    public JsonObject RoundTripsPerChunk(int chunks) => new()
    {
        ["all"] = Math.Round(Interlocked.Read(ref _roundTrips) / (double)chunks, 2),
        ["merge"] = Math.Round(Interlocked.Read(ref _mergeRoundTrips) / (double)chunks, 2),
        ["finalize"] = Math.Round(Interlocked.Read(ref _finalizeRoundTrips) / (double)chunks, 2),
    };

    public JsonObject PerChunk(int chunks) => new([.. _ticks.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(TimeSpan.FromTicks(kv.Value).TotalMilliseconds / chunks, 1)))]);

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }
}
