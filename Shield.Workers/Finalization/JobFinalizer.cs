using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Shield.Knowledge;
using Shield.Workers.Graph;
using Shield.Workers.Pool;
using Shield.Workers.Processing;

namespace Shield.Workers.Finalization;

/// <summary>How a job's finalisation works through what the job changed (section <c>Shield:Finalization</c>).</summary>
public sealed class FinalizationOptions
{
    public const string SectionName = "Shield:Finalization";

    /// <summary>Nodes and edges per step: each step summarises, embeds and writes them, then forgets them as done.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 256;
}

/// <summary>What one finalisation did.</summary>
public sealed record FinalizationResult(int Elements, int Summarised, int Embedded, int Removed, int Stale);

/// <summary>
/// A job's last step, once all its chunks are done: every node and edge its chunks changed is summarised (where
/// <see cref="GraphElement.SummaryFor"/> asks: the job's own chunks give 8 descriptions or more, or the whole is too
/// long joined) and embedded once, and its vector written, in batches (one embedding call and one vector write per
/// collection per batch). At-least-once and idempotent: each batch is forgotten as done in the same transaction that
/// writes it, so a process killed midway leaves the rest for the next delivery, and a repeat finds nothing to redo
/// (summaries and embeddings also come from the model cache). A node another job changed meanwhile is left to that
/// job's finalisation, which comes after its change, unless this job owes it a summary: then this job computes it
/// again. A deletion's finalisation (<see cref="RebuildAsync"/>) replays, for each node it changed, the summaries of
/// the jobs still holding its chunks, in their order, so a deletion leaves what those jobs alone would have left.
/// </summary>
public sealed partial class JobFinalizer(
    KnowledgeGraphStore graph,
    IDescriptionSummarizer summarizer,
    IEmbeddingGenerator<string, Embedding<float>> embeddings,
    IVectorStore vectors,
    IOptions<FinalizationOptions> options,
    ILogger<JobFinalizer> logger)
{
    /// <summary>An ingest job's finalisation: what its chunks changed.</summary>
    public Task<FinalizationResult> FinalizeAsync(Guid jobId, CancellationToken cancellationToken) =>
        RunAsync(jobId, rebuild: false, cancellationToken);

    /// <summary>A deletion's finalisation: what releasing the document's chunks changed, rebuilt from the jobs still holding the rest.</summary>
    public Task<FinalizationResult> RebuildAsync(Guid deletionJobId, CancellationToken cancellationToken) =>
        RunAsync(deletionJobId, rebuild: true, cancellationToken);

    private async Task<FinalizationResult> RunAsync(Guid jobId, bool rebuild, CancellationToken cancellationToken)
    {
        var total = new FinalizationResult(0, 0, 0, 0, 0);
        var ownChunks = rebuild ? null : await graph.ChunksOfJobAsync(jobId, cancellationToken);
        while (await graph.PendingChangesAsync(jobId, options.Value.BatchSize, cancellationToken) is { Count: > 0 } keys)
        {
            var (step, retries) = await FinalizeBatchAsync(jobId, keys, ownChunks, cancellationToken);
            total = new FinalizationResult(total.Elements + step.Elements, total.Summarised + step.Summarised,
                total.Embedded + step.Embedded, total.Removed + step.Removed, total.Stale + step.Stale - retries);
            if (retries == keys.Count)
            {
                // Every node of the step is being changed by another job right now: give its merges a moment.
                await Task.Delay(RetryPause, cancellationToken);
            }
        }
        LogFinalized(jobId, total.Elements, total.Summarised, total.Embedded, total.Removed, total.Stale);
        return total;
    }

    /// <summary>A rebuild's own chunks: it holds none (every node it could summarise is replayed instead).</summary>
    private static readonly IReadOnlySet<string> NoChunks = new HashSet<string>();

    /// <summary>How long a finalisation waits before computing again nodes that other jobs kept changing under it.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    private async Task<(FinalizationResult Step, int Retries)> FinalizeBatchAsync(Guid jobId, IReadOnlyList<GraphKey> keys,
        IReadOnlySet<string>? ownChunks, CancellationToken cancellationToken)
    {
        var loaded = await graph.LoadAsync(keys, cancellationToken);

        GraphElement?[] elements;
        using (PipelineStage.Start("summarize"))
        {
            // A node without a summary (never summarised, or its summary invalidated by a deletion or a changed chunk) is
            // replayed from the jobs that hold its chunks; one with a summary takes what this job adds.
            bool Replayed(GraphElement? e) => e is { Items.Count: > 1 } && (ownChunks is null || e.Summary is null);
            var replayed = loaded.Select(l => l.Element).Where(Replayed).ToList();
            var claims = replayed.Count == 0 ? [] : await graph.ClaimsInJobOrderAsync(
                [.. replayed.SelectMany(e => e!.Fragments.Select(f => f.ChunkId)).Distinct()], cancellationToken);
            elements = await Task.WhenAll(loaded.Select(l => Replayed(l.Element)
                ? ReplayAsync(l.Element, claims, cancellationToken)
                : SummariseAsync(l.Element, ownChunks ?? NoChunks, cancellationToken)));
        }

        var final = new List<FinalElement>(loaded.Count);
        for (var i = 0; i < loaded.Count; i++)
        {
            var (key, before, storedHash, uris) = loaded[i];
            // A node this step summarised is owed: if another job changed it meanwhile, this job computes it again.
            var owed = !ReferenceEquals(elements[i], before);
            if (elements[i] is not { } element)
            {
                final.Add(new FinalElement(key, null, null, null, null, VectorChanged: true, before?.StateHash, owed));
                continue;
            }
            var (text, payload) = Point(element, uris);
            var hash = GraphElement.Md5(text + "\u0001" + payload);
            final.Add(new FinalElement(key, element, hash, text, payload, VectorChanged: hash != storedHash, before?.StateHash, owed));
        }

        var toEmbed = final.Where(f => f.Element is not null && f.VectorChanged).ToList();
        var embedded = new Dictionary<GraphKey, ReadOnlyMemory<float>>();
        if (toEmbed.Count > 0)
        {
            using (PipelineStage.Start("embed"))
            {
                var generated = await embeddings.GenerateAsync(toEmbed.Select(f => f.PointText!), cancellationToken: cancellationToken);
                for (var i = 0; i < toEmbed.Count; i++) embedded[toEmbed[i].Key] = generated[i].Vector;
            }
        }

        IReadOnlyList<GraphKey> written;
        using (PipelineStage.Start("write vectors"))
        {
            written = await graph.ApplyAsync(jobId, final, fresh => WriteVectorsAsync(fresh, embedded, cancellationToken), cancellationToken);
        }
        var writtenSet = written.ToHashSet();
        foreach (var element in final.Where(f => writtenSet.Contains(f.Key) && f.Element is not null))
        {
            WorkerTelemetry.ElementsFinalized.Add(1,
                new KeyValuePair<string, object?>("kind", element.Key.IsEntity ? "entity" : "relationship"),
                new KeyValuePair<string, object?>("summarised", element.Element!.Summarized));
        }
        var retries = final.Count(f => f.RetryIfStale && !writtenSet.Contains(f.Key));
        var summarised = final.Count(f => f.RetryIfStale && writtenSet.Contains(f.Key));
        return (new FinalizationResult(written.Count, summarised, toEmbed.Count,
            final.Count(f => f.Element is null && writtenSet.Contains(f.Key)), keys.Count - written.Count), retries);
    }

    /// <summary>The element with the summary its job's finalisation asks for, if any (<see cref="GraphElement.SummaryFor"/>).</summary>
    private async Task<GraphElement?> SummariseAsync(GraphElement? element, IReadOnlySet<string> ownChunks, CancellationToken cancellationToken) =>
        element?.SummaryFor(ownChunks) is { } plan && await SummaryAsync(element, plan, cancellationToken) is { } summary
            ? element.WithSummary(summary, plan)
            : element;

    /// <summary>
    /// The element as the jobs holding its chunks would have left it, finalising one after the other in the order they
    /// stored their first chunk (each summary asked for again is the same request, answered from the model cache).
    /// Returns the element itself when no summary is asked for.
    /// </summary>
    private async Task<GraphElement?> ReplayAsync(GraphElement? element, IReadOnlyList<IReadOnlySet<string>> claims, CancellationToken cancellationToken)
    {
        if (element is null)
        {
            return null;
        }
        var (seen, covered, summary) = (new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), (string?)null);
        var fragments = element.Fragments;
        foreach (var job in claims.Where(c => fragments.Any(f => c.Contains(f.ChunkId))))
        {
            seen.UnionWith(job);
            var state = GraphElement.From(element.Key,
                [.. fragments.Where(f => seen.Contains(f.ChunkId)).Select(f => f with { InSummary = covered.Contains(f.ChunkId) })], summary);
            if (state?.SummaryFor(job) is { } plan && await SummaryAsync(state, plan, cancellationToken) is { } made)
            {
                summary = made;
                covered.UnionWith(plan.CoveredChunks);
            }
        }
        return summary is null
            ? element
            : GraphElement.From(element.Key, [.. fragments.Select(f => f with { InSummary = covered.Contains(f.ChunkId) })], summary);
    }

    /// <summary>
    /// The model's summary of <paramref name="plan"/>'s items. A summary call that fails (the model erred or timed out)
    /// is tried again; if it keeps failing, null: the joined descriptions (LightRAG's short form) stay, since a summary
    /// must not keep the job from ending. A later finalisation asks again when it replays the node (one without a
    /// summary is replayed), and the 1,200-token bound catches the rest. An outage is not such a failure: it is waited
    /// out by the caller.
    /// </summary>
    private async Task<string?> SummaryAsync(GraphElement element, SummaryPlan plan, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await summarizer.SummarizeAsync(element.Key.ToString(), plan.Items, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !DependencyOutage.IsOutage(ex))
            {
                if (attempt >= SummaryAttempts)
                {
                    LogSummaryFailed(ex, element.Key.ToString(), plan.Items.Count, attempt);
                    return null;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>Tries of one summary before its descriptions are left joined.</summary>
    private const int SummaryAttempts = 3;

    private async Task WriteVectorsAsync(IReadOnlyList<FinalElement> fresh, Dictionary<GraphKey, ReadOnlyMemory<float>> embedded, CancellationToken cancellationToken)
    {
        foreach (var kind in fresh.GroupBy(f => f.Key.IsEntity))
        {
            var collection = kind.Key ? VectorCollections.Entities : VectorCollections.Relationships;
            var points = kind.Where(f => f.Element is not null && f.VectorChanged)
                .Select(f => new VectorPoint(VectorId(f.Key), embedded[f.Key], f.PointText!, f.PayloadJson!)).ToList();
            if (points.Count > 0)
            {
                await vectors.UpsertAsync(collection, points, cancellationToken);
            }
            var gone = kind.Where(f => f.Element is null).Select(f => VectorId(f.Key)).ToList();
            if (gone.Count > 0)
            {
                await vectors.DeleteAsync(collection, gone, cancellationToken);
            }
        }
    }

    private static string VectorId(GraphKey key) =>
        key.IsEntity ? VectorIds.Entity(key.Source) : VectorIds.Relationship(key.Source, key.Target);

    /// <summary>LightRAG's vector text and payload of a node or edge.</summary>
    private static (string Text, string Payload) Point(GraphElement element, string[] sourceUris)
    {
        var text = element.VectorText;
        var sources = string.Join(GraphMergeRules.Separator, element.SourceChunkIds);
        var files = string.Join(GraphMergeRules.Separator, sourceUris);
        var key = element.Key;
        var payload = key.IsEntity
            ? new JsonObject
            {
                ["id"] = VectorIds.Entity(key.Source), ["entity_name"] = key.Source, ["entity_type"] = element.Type,
                ["source_id"] = sources, ["content"] = text, ["file_path"] = files,
            }
            : new JsonObject
            {
                ["id"] = VectorIds.Relationship(key.Source, key.Target), ["src_id"] = key.Source, ["tgt_id"] = key.Target,
                ["source_id"] = sources, ["content"] = text, ["file_path"] = files,
            };
        return (text, payload.ToJsonString());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} finalised: {Elements} nodes and edges written ({Summarised} summarised, {Embedded} embedded, {Removed} removed); {Stale} left to a later job that changed them")]
    private partial void LogFinalized(Guid jobId, int elements, int summarised, int embedded, int removed, int stale);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The summary of {Subject} ({Items} descriptions) failed {Attempts} times; its descriptions stay joined until a later job summarises them")]
    private partial void LogSummaryFailed(Exception exception, string subject, int items, int attempts);
}
