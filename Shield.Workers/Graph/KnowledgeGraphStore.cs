using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;

namespace Shield.Workers.Graph;

/// <summary>
/// The PostgreSQL knowledge graph. A chunk's merge stores what the chunk said (its fragments, replacing what it said
/// before, so reprocessing changes nothing), recomputes every node and edge it touched from their fragments by
/// LightRAG's rules (no model call), and records them as changed by the chunk's job; the job's finalisation then
/// summarises and embeds each changed node and edge once (<see cref="Finalization.JobFinalizer"/>). Both take one
/// PostgreSQL advisory lock per node and edge, in one global order, so concurrent merges and finalisations across any
/// number of worker processes never lose an update and never deadlock.
/// </summary>
public sealed class KnowledgeGraphStore(ShieldDbContext db, TimeProvider time)
{
    /// <summary>Separates a node's source chunk ids when they travel as one string (jagged arrays cannot be unnested).</summary>
    private const char IdSeparator = '\u0001';

    public async Task<ChunkMergeResult> MergeAsync(Guid jobId, ChunkGraph chunk, CancellationToken cancellationToken)
    {
        var entities = chunk.Entities.DistinctBy(e => e.Name, StringComparer.Ordinal).ToList();
        var relations = chunk.Relations
            .Select(r => (Key: GraphKey.Edge(r.Source, r.Target), r))
            .Where(r => r.Key.Source != r.Key.Target)
            .DistinctBy(r => r.Key)
            .ToList();

        return await OnConnectionAsync(async (connection, transaction) =>
        {
            // The chunk's own lock first: two deliveries of the same chunk then see each other's fragments.
            await LockAsync(connection, ["chunk:" + chunk.ChunkId], cancellationToken);
            var before = await ChunkFragmentsAsync(connection, chunk.ChunkId, cancellationToken);

            var touched = WithEndpoints(before.Keys
                .Concat(entities.Select(e => GraphKey.Entity(e.Name)))
                .Concat(relations.Select(r => r.Key)));
            await LockAsync(connection, touched.Select(k => k.LockName), cancellationToken);

            var after = new Dictionary<GraphKey, GraphFragment>();
            foreach (var e in entities)
            {
                after[GraphKey.Entity(e.Name)] = new GraphFragment(chunk.ChunkId, e.EntityType, e.Description, [], 0, false);
            }
            foreach (var (key, r) in relations)
            {
                after[key] = new GraphFragment(chunk.ChunkId, "", r.Description, [.. r.Keywords], r.Weight, false);
            }
            var changed = await ReplaceFragmentsAsync(connection, chunk.ChunkId, before, after, cancellationToken);

            await RecomputeAsync(connection, touched, cancellationToken);
            await RecordChangesAsync(connection, jobId, touched, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return new ChunkMergeResult(entities.Count, relations.Count, changed);
        }, cancellationToken);
    }

    /// <summary>
    /// Takes away <paramref name="releasingJobs"/>' claims on a text and, when no other job claims it (no other document
    /// contains it), removes the text: its fragments, its row and its vector, recomputing every node and edge it touched
    /// (recorded as changed by <paramref name="jobId"/>, the deletion) with their summaries forgotten, so the deletion's
    /// finalisation rebuilds each from its remaining fragments alone. One transaction, under the text's row lock: a job
    /// storing the same text meanwhile waits, and then stores it afresh. Returns whether the text was removed.
    /// </summary>
    public async Task<bool> ReleaseChunkAsync(Guid jobId, string chunkId, IReadOnlyCollection<Guid> releasingJobs, IVectorStore vectors,
        CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, transaction) =>
        {
            await using (var release = Command(connection, """
                SELECT id FROM chunks WHERE id = $1 FOR UPDATE
                """, chunkId))
            {
                if (await release.ExecuteScalarAsync(cancellationToken) is null)
                {
                    return false;
                }
            }
            await ExecuteAsync(connection, "DELETE FROM job_chunks WHERE chunk_id = $1 AND job_id = ANY($2)", cancellationToken,
                chunkId, releasingJobs.ToArray());
            await using (var claimed = Command(connection, "SELECT EXISTS (SELECT 1 FROM job_chunks WHERE chunk_id = $1)", chunkId))
            {
                if (await claimed.ExecuteScalarAsync(cancellationToken) is true)
                {
                    await transaction.CommitAsync(cancellationToken);
                    return false;
                }
            }
            await LockAsync(connection, ["chunk:" + chunkId], cancellationToken);
            var before = await ChunkFragmentsAsync(connection, chunkId, cancellationToken);
            var touched = WithEndpoints(before.Keys);
            await LockAsync(connection, touched.Select(k => k.LockName), cancellationToken);
            await ReplaceFragmentsAsync(connection, chunkId, before, [], cancellationToken);
            await ResetSummariesAsync(connection, touched, cancellationToken);
            await RecomputeAsync(connection, touched, cancellationToken);
            await RecordChangesAsync(connection, jobId, touched, cancellationToken);
            await vectors.DeleteAsync(VectorCollections.Chunks, [chunkId], cancellationToken);
            await ExecuteAsync(connection, "DELETE FROM chunks WHERE id = $1", cancellationToken, chunkId);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);

    /// <summary>Records <paramref name="keys"/> as changed by <paramref name="jobId"/>: a chunk stored earlier, or a deletion.</summary>
    public Task RecordChangesAsync(Guid jobId, IEnumerable<GraphKey> keys, CancellationToken cancellationToken) =>
        OnConnectionAsync(async (connection, transaction) =>
        {
            await RecordChangesAsync(connection, jobId, keys.ToList(), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return 0;
        }, cancellationToken);

    /// <summary>The nodes and edges a stored chunk's fragments name (for a chunk whose text is already processed).</summary>
    public async Task<IReadOnlyList<GraphKey>> KeysOfChunkAsync(string chunkId, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, _) => (IReadOnlyList<GraphKey>)[.. (await ChunkFragmentsAsync(connection, chunkId, cancellationToken)).Keys],
            cancellationToken);

    /// <summary>Up to <paramref name="limit"/> of the nodes and edges still waiting for <paramref name="jobId"/>'s finalisation.</summary>
    public async Task<IReadOnlyList<GraphKey>> PendingChangesAsync(Guid jobId, int limit, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, _) =>
        {
            var keys = new List<GraphKey>();
            await using var command = Command(connection, """
                SELECT source_name, target_name FROM job_graph_changes WHERE job_id = $1
                ORDER BY target_name = '' DESC, source_name, target_name LIMIT $2
                """, jobId, limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) keys.Add(new GraphKey(reader.GetString(0), reader.GetString(1)));
            return (IReadOnlyList<GraphKey>)keys;
        }, cancellationToken);

    /// <summary>The nodes and edges as their fragments and summaries make them now (null: nothing is left of it).</summary>
    public async Task<IReadOnlyList<(GraphKey Key, GraphElement? Element, string? PointHash, string[] SourceUris)>> LoadAsync(
        IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, _) =>
        {
            var (elements, pointHashes) = await ComputeAsync(connection, keys, cancellationToken);
            var chunkIds = elements.Values.OfType<GraphElement>().SelectMany(e => e.SourceChunkIds.Take(MaxSourceUris)).Distinct().ToArray();
            var uris = await SourceUrisAsync(connection, chunkIds, cancellationToken);
            return (IReadOnlyList<(GraphKey, GraphElement?, string?, string[])>)[.. keys.Select(k => (k, elements[k], pointHashes.GetValueOrDefault(k),
                elements[k] is { } e ? e.SourceChunkIds.Take(MaxSourceUris).Select(id => uris.GetValueOrDefault(id)).OfType<string>().Distinct().ToArray() : []))];
        }, cancellationToken);

    /// <summary>Source URIs named in a node's or edge's vector payload (LightRAG's <c>file_path</c>), at most this many.</summary>
    private const int MaxSourceUris = 20;

    /// <summary>The chunks <paramref name="jobId"/> holds: the fragments its finalisation counts as its own.</summary>
    public async Task<IReadOnlySet<string>> ChunksOfJobAsync(Guid jobId, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, _) =>
        {
            var chunks = new HashSet<string>(StringComparer.Ordinal);
            await using var command = Command(connection, "SELECT DISTINCT chunk_id FROM job_chunks WHERE job_id = $1", jobId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) chunks.Add(reader.GetString(0));
            return (IReadOnlySet<string>)chunks;
        }, cancellationToken);

    /// <summary>
    /// The jobs that hold any of <paramref name="chunkIds"/>, each with the ones it holds, in the order the jobs stored
    /// their first chunk: the order a rebuild replays their finalisations in.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlySet<string>>> ClaimsInJobOrderAsync(IReadOnlyCollection<string> chunkIds, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, _) =>
        {
            var claims = new List<(Guid Job, DateTimeOffset First, HashSet<string> Chunks)>();
            await using var command = Command(connection, """
                SELECT c.job_id, (SELECT min(created_at) FROM job_chunks j WHERE j.job_id = c.job_id), array_agg(DISTINCT c.chunk_id)
                FROM job_chunks c WHERE c.chunk_id = ANY($1) GROUP BY c.job_id
                """, (object)chunkIds.ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claims.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<string[]>(2).ToHashSet(StringComparer.Ordinal)));
            }
            return (IReadOnlyList<IReadOnlySet<string>>)[.. claims.OrderBy(c => c.First).ThenBy(c => c.Job).Select(c => c.Chunks)];
        }, cancellationToken);

    /// <summary>
    /// The last step of a finalisation batch, in one transaction under the batch's locks: each element whose state
    /// (fragments, summary and what it covers) is still the one it was computed from is written (with its summary,
    /// marking the fragments it covers) and its vector written or deleted through <paramref name="writeVectors"/>. An
    /// element that changed meanwhile is left to the job whose merge changed it (that job's finalisation comes after),
    /// unless it carried a summary only this job asks for (<see cref="FinalElement.RetryIfStale"/>): then this job's
    /// change record stays, and its finalisation computes it again. The other change records of the batch are removed,
    /// so a finalisation interrupted midway resumes where it stopped.
    /// </summary>
    /// <returns>The keys that were written (the others changed meanwhile).</returns>
    public async Task<IReadOnlyList<GraphKey>> ApplyAsync(Guid jobId, IReadOnlyList<FinalElement> batch,
        Func<IReadOnlyList<FinalElement>, Task> writeVectors, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async (connection, transaction) =>
        {
            await LockAsync(connection, batch.Select(b => b.Key.LockName), cancellationToken);
            var current = await CurrentStatesAsync(connection, [.. batch.Select(b => b.Key)], cancellationToken);
            var fresh = batch.Where(b => current.GetValueOrDefault(b.Key) == b.LoadedState).ToList();

            var now = time.GetUtcNow();
            foreach (var group in fresh.Where(f => f.Element is not null).GroupBy(f => f.Key.IsEntity))
            {
                await UpsertAsync(connection, [.. group.Select(g => g.Element!)], now, cancellationToken, [.. group.Select(g => g.PointHash)]);
            }
            await WriteCoverageAsync(connection, [.. fresh.Select(f => f.Element).OfType<GraphElement>()], cancellationToken);
            await writeVectors(fresh);

            var freshKeys = fresh.Select(f => f.Key).ToHashSet();
            var done = batch.Where(b => !b.RetryIfStale || freshKeys.Contains(b.Key)).ToList();
            await using (var delete = Command(connection, """
                DELETE FROM job_graph_changes c USING unnest($2::text[], $3::text[]) AS k(s, t)
                WHERE c.job_id = $1 AND c.source_name = k.s AND c.target_name = k.t
                """, jobId, done.Select(b => b.Key.Source).ToArray(), done.Select(b => b.Key.Target).ToArray()))
            {
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return (IReadOnlyList<GraphKey>)[.. fresh.Select(f => f.Key)];
        }, cancellationToken);

    /// <summary>The keys with every edge's endpoints added: they are nodes too (an endpoint nobody described is UNKNOWN).</summary>
    private static HashSet<GraphKey> WithEndpoints(IEnumerable<GraphKey> keys)
    {
        var touched = keys.ToHashSet();
        foreach (var edge in touched.Where(k => !k.IsEntity).ToList())
        {
            touched.Add(GraphKey.Entity(edge.Source));
            touched.Add(GraphKey.Entity(edge.Target));
        }
        return touched;
    }

    private async Task<T> OnConnectionAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // Commands issued through the DbContext (the PostgreSQL vector store) join this transaction.
            await db.Database.UseTransactionAsync(transaction, cancellationToken);
            try
            {
                return await work(connection, transaction);
            }
            finally
            {
                await db.Database.UseTransactionAsync(null, CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task LockAsync(NpgsqlConnection connection, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        // Sorted keys: every process acquires overlapping locks in the same order, so merges cannot deadlock.
        var keys = names.Select(LockKey).Distinct().Order().ToArray();
        if (keys.Length == 0) return;
        await using var command = Command(connection, "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) WITH ORDINALITY AS u(k, o) ORDER BY o", (object)keys);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static long LockKey(string name) => BitConverter.ToInt64(MD5.HashData(Encoding.UTF8.GetBytes(name)), 0);

    /// <summary>What a chunk said before this merge, by node and edge.</summary>
    private static async Task<Dictionary<GraphKey, GraphFragment>> ChunkFragmentsAsync(NpgsqlConnection connection, string chunkId, CancellationToken cancellationToken)
    {
        var fragments = new Dictionary<GraphKey, GraphFragment>();
        await using (var command = Command(connection,
            "SELECT entity_name, entity_type, description, in_summary FROM graph_entity_fragments WHERE chunk_id = $1", chunkId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                fragments[GraphKey.Entity(reader.GetString(0))] = new GraphFragment(chunkId, reader.GetString(1), reader.GetString(2), [], 0, reader.GetBoolean(3));
            }
        }
        await using (var command = Command(connection,
            "SELECT source_name, target_name, keywords, description, weight, in_summary FROM graph_relationship_fragments WHERE chunk_id = $1", chunkId))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                fragments[new GraphKey(reader.GetString(0), reader.GetString(1))] = new GraphFragment(chunkId, "",
                    reader.GetString(3), reader.GetFieldValue<string[]>(2), reader.GetDouble(4), reader.GetBoolean(5));
            }
        }
        return fragments;
    }

    /// <summary>
    /// Replaces a chunk's fragments by what it says now, touching only those that differ (so a repeated delivery of the
    /// same chunk leaves summaries' coverage alone). A summary that covered a removed fragment no longer describes the
    /// node or edge: it is forgotten, and the next finalisation summarises from the fragments that remain.
    /// </summary>
    private static async Task<int> ReplaceFragmentsAsync(NpgsqlConnection connection, string chunkId,
        Dictionary<GraphKey, GraphFragment> before, Dictionary<GraphKey, GraphFragment> after, CancellationToken cancellationToken)
    {
        static bool Same(GraphFragment a, GraphFragment b) =>
            a.Type == b.Type && a.Description == b.Description && a.Weight.Equals(b.Weight) && a.Keywords.SequenceEqual(b.Keywords);

        var removed = before.Where(b => !after.TryGetValue(b.Key, out var now) || !Same(b.Value, now)).ToList();
        var added = after.Where(a => !before.TryGetValue(a.Key, out var was) || !Same(was, a.Value)).ToList();

        var removedEntities = removed.Where(r => r.Key.IsEntity).Select(r => r.Key.Source).ToArray();
        if (removedEntities.Length > 0)
        {
            await ExecuteAsync(connection, "DELETE FROM graph_entity_fragments WHERE chunk_id = $1 AND entity_name = ANY($2)",
                cancellationToken, chunkId, removedEntities);
        }
        var removedEdges = removed.Where(r => !r.Key.IsEntity).Select(r => r.Key).ToList();
        if (removedEdges.Count > 0)
        {
            await ExecuteAsync(connection, """
                DELETE FROM graph_relationship_fragments f USING unnest($2::text[], $3::text[]) AS k(s, t)
                WHERE f.chunk_id = $1 AND f.source_name = k.s AND f.target_name = k.t
                """, cancellationToken, chunkId, removedEdges.Select(k => k.Source).ToArray(), removedEdges.Select(k => k.Target).ToArray());
        }
        await ResetSummariesAsync(connection, [.. removed.Where(r => r.Value.InSummary).Select(r => r.Key)], cancellationToken);

        var addedEntities = added.Where(a => a.Key.IsEntity).ToList();
        if (addedEntities.Count > 0)
        {
            await ExecuteAsync(connection, """
                INSERT INTO graph_entity_fragments (entity_name, chunk_id, entity_type, description, in_summary, created_at)
                SELECT n, $2, t, d, false, now() FROM unnest($1::text[], $3::text[], $4::text[]) AS f(n, t, d)
                """, cancellationToken,
                addedEntities.Select(a => a.Key.Source).ToArray(), chunkId,
                addedEntities.Select(a => a.Value.Type).ToArray(), addedEntities.Select(a => a.Value.Description).ToArray());
        }
        var addedEdges = added.Where(a => !a.Key.IsEntity).ToList();
        if (addedEdges.Count > 0)
        {
            await ExecuteAsync(connection, """
                INSERT INTO graph_relationship_fragments (source_name, target_name, chunk_id, keywords, description, weight, in_summary, created_at)
                SELECT s, t, $3, string_to_array(k, chr(1)), d, w, false, now()
                FROM unnest($1::text[], $2::text[], $4::text[], $5::text[], $6::float8[]) AS f(s, t, k, d, w)
                """, cancellationToken,
                addedEdges.Select(a => a.Key.Source).ToArray(), addedEdges.Select(a => a.Key.Target).ToArray(), chunkId,
                addedEdges.Select(a => string.Join(IdSeparator, a.Value.Keywords)).ToArray(),
                addedEdges.Select(a => a.Value.Description).ToArray(), addedEdges.Select(a => a.Value.Weight).ToArray());
        }
        return removed.Count + added.Count;
    }

    private static async Task ResetSummariesAsync(NpgsqlConnection connection, IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken)
    {
        var entities = keys.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
        if (entities.Length > 0)
        {
            await ExecuteAsync(connection, "UPDATE graph_entities SET summary = NULL, summarized = false WHERE name = ANY($1)", cancellationToken, (object)entities);
            await ExecuteAsync(connection, "UPDATE graph_entity_fragments SET in_summary = false WHERE entity_name = ANY($1) AND in_summary", cancellationToken, (object)entities);
        }
        var edges = keys.Where(k => !k.IsEntity).ToList();
        if (edges.Count > 0)
        {
            var (sources, targets) = (edges.Select(k => k.Source).ToArray(), edges.Select(k => k.Target).ToArray());
            await ExecuteAsync(connection, """
                UPDATE graph_relationships r SET summary = NULL, summarized = false FROM unnest($1::text[], $2::text[]) AS k(s, t)
                WHERE r.source_name = k.s AND r.target_name = k.t
                """, cancellationToken, sources, targets);
            await ExecuteAsync(connection, """
                UPDATE graph_relationship_fragments f SET in_summary = false FROM unnest($1::text[], $2::text[]) AS k(s, t)
                WHERE f.source_name = k.s AND f.target_name = k.t AND f.in_summary
                """, cancellationToken, sources, targets);
        }
    }

    /// <summary>
    /// Writes which fragments each element's summary covers, as its <see cref="GraphElement.Fragments"/> flag them
    /// (a replayed element may cover fewer than the store's flags said); only rows that change are touched.
    /// </summary>
    private static async Task WriteCoverageAsync(NpgsqlConnection connection, IReadOnlyCollection<GraphElement> elements, CancellationToken cancellationToken)
    {
        var fragments = elements.SelectMany(e => e.Fragments.Select(f => (e.Key, f.ChunkId, f.InSummary))).DistinctBy(f => (f.Key, f.ChunkId)).ToList();
        var entities = fragments.Where(c => c.Key.IsEntity).ToList();
        if (entities.Count > 0)
        {
            await ExecuteAsync(connection, """
                UPDATE graph_entity_fragments f SET in_summary = k.covered FROM unnest($1::text[], $2::text[], $3::bool[]) AS k(n, c, covered)
                WHERE f.entity_name = k.n AND f.chunk_id = k.c AND f.in_summary <> k.covered
                """, cancellationToken, entities.Select(c => c.Key.Source).ToArray(), entities.Select(c => c.ChunkId).ToArray(),
                entities.Select(c => c.InSummary).ToArray());
        }
        var edges = fragments.Where(c => !c.Key.IsEntity).ToList();
        if (edges.Count > 0)
        {
            await ExecuteAsync(connection, """
                UPDATE graph_relationship_fragments f SET in_summary = k.covered FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[]) AS k(s, t, c, covered)
                WHERE f.source_name = k.s AND f.target_name = k.t AND f.chunk_id = k.c AND f.in_summary <> k.covered
                """, cancellationToken, edges.Select(c => c.Key.Source).ToArray(), edges.Select(c => c.Key.Target).ToArray(),
                edges.Select(c => c.ChunkId).ToArray(), edges.Select(c => c.InSummary).ToArray());
        }
    }

    /// <summary>Writes the merge's view of every touched node and edge (no summary made here), and removes those with nothing left.</summary>
    private async Task RecomputeAsync(NpgsqlConnection connection, IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken)
    {
        var (elements, _) = await ComputeAsync(connection, keys, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var group in elements.Values.OfType<GraphElement>().GroupBy(e => e.Key.IsEntity))
        {
            await UpsertAsync(connection, [.. group], now, cancellationToken, pointHashes: null);
        }
        var gone = elements.Where(e => e.Value is null).Select(e => e.Key).ToList();
        var goneEntities = gone.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
        if (goneEntities.Length > 0)
        {
            await ExecuteAsync(connection, "DELETE FROM graph_entities WHERE name = ANY($1)", cancellationToken, (object)goneEntities);
        }
        var goneEdges = gone.Where(k => !k.IsEntity).ToList();
        if (goneEdges.Count > 0)
        {
            await ExecuteAsync(connection, """
                DELETE FROM graph_relationships r USING unnest($1::text[], $2::text[]) AS k(s, t) WHERE r.source_name = k.s AND r.target_name = k.t
                """, cancellationToken, goneEdges.Select(k => k.Source).ToArray(), goneEdges.Select(k => k.Target).ToArray());
        }
    }

    /// <summary>Each key's element from its fragments and stored summary (null when no fragment is left), and its point hash.</summary>
    private static async Task<(Dictionary<GraphKey, GraphElement?> Elements, Dictionary<GraphKey, string> PointHashes)> ComputeAsync(
        NpgsqlConnection connection, IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken)
    {
        var fragments = keys.ToDictionary(k => k, _ => new List<GraphFragment>());
        var names = keys.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
        var edges = keys.Where(k => !k.IsEntity).ToList();
        var (sources, targets) = (edges.Select(k => k.Source).ToArray(), edges.Select(k => k.Target).ToArray());
        var summaries = new Dictionary<GraphKey, string>();
        var pointHashes = new Dictionary<GraphKey, string>();

        if (names.Length > 0)
        {
            await using (var command = Command(connection,
                "SELECT entity_name, chunk_id, entity_type, description, in_summary FROM graph_entity_fragments WHERE entity_name = ANY($1)", (object)names))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    fragments[GraphKey.Entity(reader.GetString(0))].Add(
                        new GraphFragment(reader.GetString(1), reader.GetString(2), reader.GetString(3), [], 0, reader.GetBoolean(4)));
                }
            }
            // LightRAG creates an endpoint nobody described as an entity, typed UNKNOWN, from its edges' text.
            var undescribed = names.Where(n => fragments[GraphKey.Entity(n)].Count == 0).ToArray();
            if (undescribed.Length > 0)
            {
                await using var command = Command(connection, """
                    SELECT source_name, target_name, chunk_id, description FROM graph_relationship_fragments
                    WHERE source_name = ANY($1) OR target_name = ANY($1)
                    """, (object)undescribed);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var wanted = undescribed.ToHashSet(StringComparer.Ordinal);
                while (await reader.ReadAsync(cancellationToken))
                {
                    foreach (var endpoint in new[] { reader.GetString(0), reader.GetString(1) }.Where(wanted.Contains))
                    {
                        fragments[GraphKey.Entity(endpoint)].Add(
                            new GraphFragment(reader.GetString(2), GraphMergeRules.UnknownType, reader.GetString(3), [], 0, false));
                    }
                }
            }
            await using (var command = Command(connection, "SELECT name, summary, point_hash FROM graph_entities WHERE name = ANY($1)", (object)names))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = GraphKey.Entity(reader.GetString(0));
                    if (!reader.IsDBNull(1)) summaries[key] = reader.GetString(1);
                    if (!reader.IsDBNull(2)) pointHashes[key] = reader.GetString(2);
                }
            }
        }
        if (edges.Count > 0)
        {
            await using (var command = Command(connection, """
                SELECT f.source_name, f.target_name, f.chunk_id, f.keywords, f.description, f.weight, f.in_summary
                FROM graph_relationship_fragments f JOIN unnest($1::text[], $2::text[]) AS k(s, t) ON f.source_name = k.s AND f.target_name = k.t
                """, sources, targets))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    fragments[new GraphKey(reader.GetString(0), reader.GetString(1))].Add(new GraphFragment(reader.GetString(2), "",
                        reader.GetString(4), reader.GetFieldValue<string[]>(3), reader.GetDouble(5), reader.GetBoolean(6)));
                }
            }
            await using (var command = Command(connection, """
                SELECT r.source_name, r.target_name, r.summary, r.point_hash
                FROM graph_relationships r JOIN unnest($1::text[], $2::text[]) AS k(s, t) ON r.source_name = k.s AND r.target_name = k.t
                """, sources, targets))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = new GraphKey(reader.GetString(0), reader.GetString(1));
                    if (!reader.IsDBNull(2)) summaries[key] = reader.GetString(2);
                    if (!reader.IsDBNull(3)) pointHashes[key] = reader.GetString(3);
                }
            }
        }
        return (fragments.ToDictionary(f => f.Key, f => GraphElement.From(f.Key, f.Value, summaries.GetValueOrDefault(f.Key))), pointHashes);
    }

    /// <summary>Each key's state now (<see cref="GraphElement.StateHash"/>; absent: nothing is left of it).</summary>
    private static async Task<Dictionary<GraphKey, string>> CurrentStatesAsync(NpgsqlConnection connection, IReadOnlyCollection<GraphKey> keys,
        CancellationToken cancellationToken)
    {
        var (elements, _) = await ComputeAsync(connection, keys, cancellationToken);
        return elements.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!.StateHash);
    }

    private static async Task UpsertAsync(NpgsqlConnection connection, IReadOnlyList<GraphElement> elements, DateTimeOffset now,
        CancellationToken cancellationToken, IReadOnlyList<string?>? pointHashes)
    {
        // The merge leaves a node's point hash alone (its vector is the finalisation's); the finalisation sets it.
        var setPointHash = pointHashes is not null;
        var ids = elements.Select(e => string.Join(IdSeparator, e.SourceChunkIds)).ToArray();
        var descriptions = elements.Select(e => e.Description).ToArray();
        var counts = elements.Select(e => e.FragmentCount).ToArray();
        var hashes = elements.Select(e => e.FragmentsHash).ToArray();
        var summarized = elements.Select(e => e.Summarized).ToArray();
        var summaries = elements.Select(e => e.Summary).ToArray();
        var points = pointHashes?.ToArray() ?? new string?[elements.Count];
        if (elements[0].Key.IsEntity)
        {
            await ExecuteAsync(connection, $$"""
                INSERT INTO graph_entities (name, entity_type, description, source_chunk_ids, fragment_count, fragments_hash, summarized, summary, point_hash, updated_at)
                SELECT n, t, d, string_to_array(i, chr(1)), c, h, s, m, p, $10
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bool[], $8::text[], $9::text[]) AS u(n, t, d, i, c, h, s, m, p)
                ON CONFLICT (name) DO UPDATE SET entity_type = EXCLUDED.entity_type, description = EXCLUDED.description,
                  source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count,
                  fragments_hash = EXCLUDED.fragments_hash, summarized = EXCLUDED.summarized, summary = EXCLUDED.summary,
                  {{(setPointHash ? "point_hash = EXCLUDED.point_hash," : "")}} updated_at = EXCLUDED.updated_at
                """, cancellationToken,
                elements.Select(e => e.Key.Source).ToArray(), elements.Select(e => e.Type).ToArray(), descriptions, ids, counts, hashes,
                summarized, summaries, points, now);
            return;
        }
        await ExecuteAsync(connection, $$"""
            INSERT INTO graph_relationships (source_name, target_name, keywords, description, weight, source_chunk_ids, fragment_count, fragments_hash, summarized, summary, point_hash, updated_at)
            SELECT s, t, string_to_array(k, chr(1)), d, w, string_to_array(i, chr(1)), c, h, z, m, p, $12
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::int[], $8::text[], $9::bool[], $10::text[], $11::text[])
              AS u(s, t, k, d, w, i, c, h, z, m, p)
            ON CONFLICT (source_name, target_name) DO UPDATE SET keywords = EXCLUDED.keywords, description = EXCLUDED.description,
              weight = EXCLUDED.weight, source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count,
              fragments_hash = EXCLUDED.fragments_hash, summarized = EXCLUDED.summarized, summary = EXCLUDED.summary,
              {{(setPointHash ? "point_hash = EXCLUDED.point_hash," : "")}} updated_at = EXCLUDED.updated_at
            """, cancellationToken,
            elements.Select(e => e.Key.Source).ToArray(), elements.Select(e => e.Key.Target).ToArray(),
            elements.Select(e => string.Join(IdSeparator, e.Keywords)).ToArray(), descriptions, elements.Select(e => e.Weight).ToArray(),
            ids, counts, hashes, summarized, summaries, points, now);
    }

    private static async Task RecordChangesAsync(NpgsqlConnection connection, Guid jobId, IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) return;
        // One order for every transaction: two chunks of one job that touch the same keys in different orders would
        // otherwise wait on each other's rows (a deadlock PostgreSQL breaks by failing one of them).
        var ordered = keys.Distinct().OrderBy(k => k.Source, StringComparer.Ordinal).ThenBy(k => k.Target, StringComparer.Ordinal).ToList();
        await ExecuteAsync(connection, """
            INSERT INTO job_graph_changes (job_id, source_name, target_name)
            SELECT $1, s, t FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS k(s, t, n) ORDER BY n
            ON CONFLICT DO NOTHING
            """, cancellationToken, jobId, ordered.Select(k => k.Source).ToArray(), ordered.Select(k => k.Target).ToArray());
    }

    /// <summary>Where each chunk came from: the first job's source URI for it.</summary>
    private static async Task<Dictionary<string, string>> SourceUrisAsync(NpgsqlConnection connection, string[] chunkIds, CancellationToken cancellationToken)
    {
        var uris = new Dictionary<string, string>(StringComparer.Ordinal);
        if (chunkIds.Length == 0) return uris;
        await using var command = Command(connection, """
            SELECT DISTINCT ON (chunk_id) chunk_id, source_uri FROM job_chunks WHERE chunk_id = ANY($1) ORDER BY chunk_id, created_at, job_id
            """, (object)chunkIds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) uris[reader.GetString(0)] = reader.GetString(1);
        return uris;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object?[] args)
    {
        await using var command = Command(connection, sql, args);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }
        return command;
    }
}

/// <summary>A node or edge as its job's finalisation leaves it, with the vector point that goes with it.</summary>
/// <param name="Element">Null when nothing is left of it: its row and vector go.</param>
/// <param name="PointHash">MD5 of the point's text and payload; the vector is written only when it differs from the stored one.</param>
/// <param name="LoadedState">The <see cref="GraphElement.StateHash"/> it was computed from (null: nothing was there).</param>
/// <param name="RetryIfStale">It carries a summary this finalisation made: if the state changed meanwhile, this job computes it again.</param>
public sealed record FinalElement(GraphKey Key, GraphElement? Element, string? PointHash, string? PointText, string? PayloadJson, bool VectorChanged,
    string? LoadedState, bool RetryIfStale);
