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
/// A job's last step, once all its chunks are done: every node and edge its chunks changed is composed from its working
/// state (what the merges kept: counts, the first source chunks, the descriptions no summary covers), summarised where
/// <see cref="ElementDescriptions.SummaryFor"/> asks (the job's own chunks give 8 descriptions or more, or the whole is
/// too long joined), embedded once and published, in batches (one embedding call and one vector write per collection
/// per batch). The work is in proportion to what the job changed, not to the history of the nodes it touched. At-least-
/// once and idempotent: each batch is published and forgotten in one transaction and its vectors written right after
/// under their own locks, so a process killed midway leaves the rest for the next delivery, and a repeat finds nothing
/// to redo (summaries and embeddings also come from the model cache). A node another job changed meanwhile is left to
/// that job's finalisation, which comes after its change, unless this job owes it a summary: then this job computes it
/// again. A node a removed fragment or a failed summary marked, and every node a deletion's finalisation
/// (<see cref="RebuildAsync"/>) touches, is rebuilt from all its fragments instead, replaying the summaries of the jobs
/// still holding them in their order, so a deletion leaves what those jobs alone would have left.
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
        // Vectors an earlier delivery published but did not live to write.
        await RecoverVectorsAsync(jobId, cancellationToken);

        var total = new FinalizationResult(0, 0, 0, 0, 0);
        var own = rebuild ? JobDescriptions.None : await graph.JobDescriptionsAsync(jobId, cancellationToken);
        GraphKey? after = null;
        var retriedInPass = 0;
        while (true)
        {
            var keys = await graph.PendingChangesAsync(jobId, after, options.Value.BatchSize, cancellationToken);
            if (keys.Count == 0)
            {
                if (after is null) break;
                // A pass is over; what is left are nodes this job owes a summary that other jobs kept changing under it.
                if (retriedInPass > 0) await Task.Delay(RetryPause, cancellationToken);
                (after, retriedInPass) = (null, 0);
                continue;
            }
            var (step, retries) = await FinalizeBatchAsync(jobId, keys, own, rebuild, cancellationToken);
            total = new FinalizationResult(total.Elements + step.Elements, total.Summarised + step.Summarised,
                total.Embedded + step.Embedded, total.Removed + step.Removed, total.Stale + step.Stale - retries);
            retriedInPass += retries;
            after = keys[^1];
        }
        LogFinalized(jobId, total.Elements, total.Summarised, total.Embedded, total.Removed, total.Stale);
        return total;
    }

    /// <summary>How long a finalisation waits before computing again nodes that other jobs kept changing under it.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    private async Task<(FinalizationResult Step, int Retries)> FinalizeBatchAsync(Guid jobId, IReadOnlyList<GraphKey> keys,
        JobDescriptions own, bool rebuild, CancellationToken cancellationToken)
    {
        IReadOnlyList<LoadedElement> loaded;
        IReadOnlyDictionary<GraphKey, ElementAggregates> fragments;
        using (PipelineStage.Start("load"))
        {
            // An element nothing changed since it was published is left as it is, unless this job owes it a summary.
            loaded = await graph.LoadAsync(keys, (key, kind, descriptions) => rebuild || descriptions.SummaryFor(own.Of(key, kind)) is not null,
                cancellationToken);
            var rebuilt = loaded.Where(l => l.State.Exists && (rebuild || l.State.NeedsReplay)).Select(l => l.State.Key).ToList();
            fragments = rebuilt.Count == 0 ? new Dictionary<GraphKey, ElementAggregates>() : await graph.FragmentsAsync(rebuilt, cancellationToken);
        }

        (GraphElement? Element, IReadOnlyList<Guid> Covers, (ElementAggregates, IReadOnlySet<Guid>)? Rebuilt, bool Owed, bool Failed)[] composed;
        using (PipelineStage.Start("summarize"))
        {
            var summarised = fragments.Values.Where(a => ElementAggregates.DescriptionsOf(a.Describing).Count > 1).ToList();
            var claims = summarised.Count == 0 ? [] : await graph.ClaimsInJobOrderAsync(
                [.. summarised.SelectMany(a => a.Describing.Select(f => f.ChunkId)).Distinct()], cancellationToken);
            composed = await Task.WhenAll(loaded.Select(l => l.Unchanged
                ? Task.FromResult<(GraphElement?, IReadOnlyList<Guid>, (ElementAggregates, IReadOnlySet<Guid>)?, bool, bool)>((null, [], null, false, false))
                : fragments.TryGetValue(l.State.Key, out var aggregates)
                    ? RebuildAsync(l.State, aggregates, claims, cancellationToken)
                    : SummariseAsync(l.State, own.Of(l.State.Key, l.State.DescribingKind), cancellationToken)));
        }

        var final = new List<FinalElement>(loaded.Count);
        using var compose = PipelineStage.Start("compose");
        for (var i = 0; i < loaded.Count; i++)
        {
            var (state, publishedPoint, publishedView, uris, unchanged) = loaded[i];
            var (element, covers, rebuiltAggregates, owed, failed) = composed[i];
            if (unchanged)
            {
                final.Add(new FinalElement(state.Key, state.Version, null, null, false, state.DescribingKind, [], null, false, null, false, Unchanged: true));
                continue;
            }
            if (element is null)
            {
                // Nothing is left of it: its row and working state go, and its vector if one was ever written.
                var published = publishedPoint is not null || publishedView is not null;
                final.Add(new FinalElement(state.Key, state.Version, null, null, published, state.DescribingKind, [], null, false,
                    published ? new PendingVector(state.Key, null, null, null) : null, owed));
                continue;
            }
            var (text, payload) = Point(element, uris);
            var hash = GraphMergeRules.Md5(text + "\u0001" + payload);
            final.Add(new FinalElement(state.Key, state.Version, element, hash,
                Publish: element.ViewHash != publishedView || hash != publishedPoint,
                state.DescribingKind, covers, rebuiltAggregates, failed,
                hash != publishedPoint ? new PendingVector(state.Key, hash, text, payload) : null, owed));
        }

        compose.Dispose();
        var toEmbed = final.Where(f => f.Vector?.Text is not null).ToList();
        var embedded = new Dictionary<GraphKey, ReadOnlyMemory<float>>();
        if (toEmbed.Count > 0)
        {
            using (PipelineStage.Start("embed"))
            {
                var generated = await embeddings.GenerateAsync(toEmbed.Select(f => f.Vector!.Text!), cancellationToken: cancellationToken);
                for (var i = 0; i < toEmbed.Count; i++) embedded[toEmbed[i].Key] = generated[i].Vector;
            }
        }

        IReadOnlyList<GraphKey> written;
        using (PipelineStage.Start("publish"))
        {
            written = await graph.PublishAsync(jobId, final, cancellationToken);
        }
        var writtenSet = written.ToHashSet();
        using (PipelineStage.Start("write vectors"))
        {
            await WriteVectorsAsync(jobId, [.. final.Where(f => writtenSet.Contains(f.Key) && f.Vector is not null).Select(f => f.Vector!)],
                embedded, cancellationToken);
        }
        foreach (var element in final.Where(f => writtenSet.Contains(f.Key) && f.Element is not null))
        {
            WorkerTelemetry.ElementsFinalized.Add(1,
                new KeyValuePair<string, object?>("kind", element.Key.IsEntity ? "entity" : "relationship"),
                new KeyValuePair<string, object?>("summarised", element.Element!.Summarized));
        }
        var retries = final.Count(f => f.RetryIfStale && !writtenSet.Contains(f.Key));
        var summarisedCount = final.Count(f => f.RetryIfStale && writtenSet.Contains(f.Key));
        return (new FinalizationResult(written.Count, summarisedCount, toEmbed.Count,
            final.Count(f => f.Element is null && writtenSet.Contains(f.Key)), keys.Count - written.Count - final.Count(f => f.Unchanged)), retries);
    }

    /// <summary>The element composed from its working state, with the summary its job's finalisation asks for, if any.</summary>
    private async Task<(GraphElement?, IReadOnlyList<Guid>, (ElementAggregates, IReadOnlySet<Guid>)?, bool, bool)> SummariseAsync(
        ElementState state, IReadOnlySet<Guid> ownDescriptions, CancellationToken cancellationToken)
    {
        var element = GraphElement.Compose(state);
        if (element?.Descriptions.SummaryFor(ownDescriptions) is not { } plan)
        {
            return (element, [], null, false, false);
        }
        return await SummaryAsync(element.Key, plan, cancellationToken) is { } summary
            ? (element.WithSummary(summary, plan), [.. plan.Covers], null, true, false)
            : (element, [], null, false, true);
    }

    /// <summary>
    /// The element as the jobs holding its chunks would have left it, finalising one after the other in the order they
    /// stored their first chunk (each summary asked for again is the same request, answered from the model cache),
    /// composed from all its fragments, whose aggregates are written back with it.
    /// </summary>
    private async Task<(GraphElement?, IReadOnlyList<Guid>, (ElementAggregates, IReadOnlySet<Guid>)?, bool, bool)> RebuildAsync(
        ElementState loaded, ElementAggregates aggregates, IReadOnlyList<IReadOnlySet<string>> claims, CancellationToken cancellationToken)
    {
        var describing = aggregates.Describing;
        var (seen, covered, summary, failed) = (new HashSet<string>(StringComparer.Ordinal), new HashSet<Guid>(), (string?)null, false);
        if (ElementAggregates.DescriptionsOf(describing).Count > 1)
        {
            foreach (var job in claims.Where(c => describing.Any(f => c.Contains(f.ChunkId))))
            {
                seen.UnionWith(job);
                var state = new ElementDescriptions(summary, [.. ElementAggregates.DescriptionsOf(describing.Where(f => seen.Contains(f.ChunkId)))
                    .Select(d => d.Description).Where(d => summary is null || !covered.Contains(d.Hash))]);
                var jobDescriptions = describing.Where(f => job.Contains(f.ChunkId)).Select(f => GraphMergeRules.DescriptionHash(f.Description)).ToHashSet();
                if (state.SummaryFor(jobDescriptions) is not { } plan) continue;
                if (await SummaryAsync(aggregates.Key, plan, cancellationToken) is { } made)
                {
                    summary = made;
                    covered.UnionWith(plan.Covers);
                }
                else
                {
                    failed = true;
                }
            }
        }
        var element = GraphElement.Compose(aggregates.StateWith(summary, covered, loaded.Version));
        return (element, [], (aggregates, covered), summary is not null, failed);
    }

    /// <summary>
    /// The model's summary of <paramref name="plan"/>'s items. A summary call that fails (the model erred or timed out)
    /// is tried again; if it keeps failing, null: the joined descriptions (LightRAG's short form) stay, since a summary
    /// must not keep the job from ending. The node is marked for a rebuild, so the next finalisation that touches it
    /// replays its jobs' summaries and asks again; the 1,200-token bound catches the rest. An outage is not such a failure: it is waited
    /// out by the caller.
    /// </summary>
    private async Task<string?> SummaryAsync(GraphKey key, SummaryPlan plan, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (attempt == 1) WorkerTelemetry.SummariesAsked.Add(1, new KeyValuePair<string, object?>("reason", plan.Reason));
                return await summarizer.SummarizeAsync(key.ToString(), plan.Items, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && !DependencyOutage.IsOutage(ex))
            {
                if (attempt >= SummaryAttempts)
                {
                    LogSummaryFailed(ex, key.ToString(), plan.Items.Count, attempt);
                    return null;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>Tries of one summary before its descriptions are left joined.</summary>
    private const int SummaryAttempts = 3;

    /// <summary>
    /// The vectors an earlier delivery of this job published but did not write: each element is composed again from
    /// what was published (its state, summary and coverage), and its vector written if its point is still the one the
    /// publish was for (a later publish writes its own); a removal's vector is deleted.
    /// </summary>
    private async Task RecoverVectorsAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var pending = await graph.PendingVectorsAsync(jobId, cancellationToken);
        if (pending.Count == 0) return;
        var loaded = await graph.LoadAsync([.. pending.Select(p => p.Key)], (_, _, _) => true, cancellationToken);
        var vectorsToWrite = new List<PendingVector>();
        foreach (var (l, (key, hash)) in loaded.Zip(pending))
        {
            if (hash is null)
            {
                vectorsToWrite.Add(new PendingVector(key, null, null, null));
                continue;
            }
            if (GraphElement.Compose(l.State) is not { } element) continue;
            var (text, payload) = Point(element, l.SourceUris);
            if (GraphMergeRules.Md5(text + "\u0001" + payload) == hash) vectorsToWrite.Add(new PendingVector(key, hash, text, payload));
        }
        // The others were superseded: their records go with these.
        await WriteVectorsAsync(jobId, vectorsToWrite, [], cancellationToken,
            superseded: [.. pending.Where(p => vectorsToWrite.All(v => v.Key != p.Key)).Select(p => p.Key)]);
    }

    /// <summary>
    /// Writes the vectors published elements call for (embedding those it was not handed: left by an earlier delivery,
    /// answered from the model cache), through <see cref="KnowledgeGraphStore.WriteVectorsAsync"/>.
    /// </summary>
    private async Task WriteVectorsAsync(Guid jobId, IReadOnlyList<PendingVector> pending, Dictionary<GraphKey, ReadOnlyMemory<float>> embedded,
        CancellationToken cancellationToken, IReadOnlyList<GraphKey>? superseded = null)
    {
        if (pending.Count == 0 && superseded is not { Count: > 0 }) return;
        var missing = pending.Where(p => p.Text is not null && !embedded.ContainsKey(p.Key)).ToList();
        if (missing.Count > 0)
        {
            var generated = await embeddings.GenerateAsync(missing.Select(p => p.Text!), cancellationToken: cancellationToken);
            for (var i = 0; i < missing.Count; i++) embedded[missing[i].Key] = generated[i].Vector;
        }
        await graph.WriteVectorsAsync(jobId, pending, superseded ?? [], async current =>
        {
            foreach (var kind in current.GroupBy(p => p.Key.IsEntity))
            {
                var collection = kind.Key ? VectorCollections.Entities : VectorCollections.Relationships;
                var points = kind.Where(p => p.Text is not null)
                    .Select(p => new VectorPoint(VectorId(p.Key), embedded[p.Key], p.Text!, p.PayloadJson!)).ToList();
                if (points.Count > 0)
                {
                    await vectors.UpsertAsync(collection, points, cancellationToken);
                }
                var gone = kind.Where(p => p.Text is null).Select(p => VectorId(p.Key)).ToList();
                if (gone.Count > 0)
                {
                    await vectors.DeleteAsync(collection, gone, cancellationToken);
                }
            }
        }, cancellationToken);
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
