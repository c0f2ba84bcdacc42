using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;
using static Shield.Workers.Graph.PipelinedTransaction;

namespace Shield.Workers.Graph;

/// <summary>
/// The PostgreSQL knowledge graph, written in two halves. A chunk's merge (this file) stores what the chunk said — its
/// fragments, replacing what it said before, so reprocessing changes nothing — and adds what changed to the working
/// state of each node and edge it touches (<see cref="GraphElementStateRow"/>: counts and sums, per distinct
/// description, type and keyword), then records them as changed by the chunk's job: constant work per node and edge,
/// however many fragments it already has, and no published row touched. The job's finalisation
/// (<c>KnowledgeGraphStore.Finalization.cs</c>, driven by <see cref="Finalization.JobFinalizer"/>) then composes each
/// changed node and edge from that state, summarises and embeds it once, and publishes it. Every transaction that
/// writes an element's rows first takes its advisory lock, in one global order (by lock key), so concurrent merges,
/// releases and finalisations in any number of processes never lose an update and never deadlock; a lock is held for
/// one round trip of constant size, and never across a call to a model or a vector store.
/// </summary>
public sealed partial class KnowledgeGraphStore(ShieldDbContext db, TimeProvider time)
{
    /// <summary>Separates the parts of a value that travels as one string (jagged arrays cannot be unnested).</summary>
    private const char IdSeparator = '\u0001';

    public async Task<ChunkMergeResult> MergeAsync(Guid jobId, ChunkGraph chunk, CancellationToken cancellationToken)
    {
        var after = new Dictionary<GraphKey, GraphFragment>();
        foreach (var e in chunk.Entities.DistinctBy(e => e.Name, StringComparer.Ordinal))
        {
            after[GraphKey.Entity(e.Name)] = new GraphFragment(chunk.ChunkId, e.EntityType, e.Description, [], 0);
        }
        foreach (var r in chunk.Relations)
        {
            var key = GraphKey.Edge(r.Source, r.Target);
            if (key.Source != key.Target && !after.ContainsKey(key))
            {
                after[key] = new GraphFragment(chunk.ChunkId, "", r.Description, [.. r.Keywords], r.Weight);
            }
        }

        return await OnConnectionAsync(async connection =>
        {
            // Committed without waiting for the disk: the chunk's processed mark (LightRagChunkProcessor), committed
            // synchronously after it, makes it durable before the chunk counts as done.
            await using var transaction = new PipelinedTransaction(connection, asynchronousCommit: true);
            // The chunk's row lock first: two deliveries of the same chunk then see each other's fragments.
            var before = await ChunkFragmentsAsync(transaction, chunk.ChunkId, [], cancellationToken);
            var changed = await CommitChangeAsync(transaction, jobId, chunk.ChunkId, before.Fragments, after, time.GetUtcNow(), cancellationToken);
            return new ChunkMergeResult(after.Keys.Count(k => k.IsEntity), after.Keys.Count(k => !k.IsEntity), changed);
        }, cancellationToken);
    }

    /// <summary>
    /// Records as changed by <paramref name="jobId"/> every node and edge a chunk stored earlier speaks of (a text this
    /// job contains that is already processed under the same settings): one statement, no lock, no fragment read back.
    /// </summary>
    public Task RecordChunkChangesAsync(Guid jobId, string chunkId, CancellationToken cancellationToken) =>
        OnConnectionAsync(async connection =>
        {
            await using var command = new NpgsqlCommand(GraphSql.RecordChunkChanges, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = jobId });
            command.Parameters.Add(new NpgsqlParameter { Value = chunkId });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Takes away <paramref name="releasingJobs"/>' claims on a text and, when no other job claims it (no other document
    /// contains it), removes the text: its fragments, its row and its vector. What its fragments added to the nodes and
    /// edges they touched is taken away again, and each is marked for a rebuild and recorded as changed by
    /// <paramref name="jobId"/> (the deletion), whose finalisation rebuilds it from its remaining fragments (replaying
    /// the summaries of the jobs that hold them) or removes it with its vector. Two transactions: the graph's, under the
    /// elements' locks, and then the text's and its vector's, under the text's row lock alone, so the vector store's
    /// round trip holds no graph lock. A job storing the same text meanwhile finds it unprocessed and processes it
    /// afresh (its claim then keeps the row). Idempotent: a repeat after a crash redoes only what was left. Returns
    /// whether the text was removed.
    /// </summary>
    public async Task<bool> ReleaseChunkAsync(Guid jobId, string chunkId, IReadOnlyCollection<Guid> releasingJobs, IVectorStore vectors,
        CancellationToken cancellationToken)
    {
        var releasing = releasingJobs.ToArray();
        var claimedByOthers = await OnConnectionAsync(async connection =>
        {
            await using var transaction = new PipelinedTransaction(connection);
            var (exists, others, before) = await ChunkFragmentsAsync(transaction, chunkId, releasing, cancellationToken);
            if (!exists || others)
            {
                await transaction.CommitAsync(cancellationToken, ReleaseClaims(chunkId, releasing));
                return true;
            }
            // Unclaimed but for the releasing jobs: no one may reuse it as processed while its fragments are gone.
            await CommitChangeAsync(transaction, jobId, chunkId, before, [], time.GetUtcNow(), cancellationToken,
                Statement("UPDATE chunks SET extraction_settings = NULL WHERE id = $1", chunkId));
            return false;
        }, cancellationToken);
        if (claimedByOthers)
        {
            return false;
        }

        return await OnConnectionAsync(async connection =>
        {
            await using var transaction = new PipelinedTransaction(connection);
            var (exists, others, _) = await ChunkFragmentsAsync(transaction, chunkId, releasing, cancellationToken, fragments: false);
            if (!exists || others)
            {
                // Another job claimed the text since: its claim keeps the row, and its processing the vector.
                await transaction.CommitAsync(cancellationToken, ReleaseClaims(chunkId, releasing));
                return false;
            }
            await vectors.DeleteAsync(VectorCollections.Chunks, [chunkId], cancellationToken);
            await transaction.CommitAsync(cancellationToken, ReleaseClaims(chunkId, releasing),
                Statement("DELETE FROM chunks WHERE id = $1", chunkId));
            return true;
        }, cancellationToken);
    }

    private static NpgsqlBatchCommand ReleaseClaims(string chunkId, Guid[] releasing) =>
        Statement("DELETE FROM job_chunks WHERE chunk_id = $1 AND job_id = ANY($2)", chunkId, releasing);

    /// <summary>
    /// Opens the transaction with the chunk's row lock and reads, in the same round trip, whether the chunk exists,
    /// whether jobs other than <paramref name="releasing"/> claim it, and what it said before, by node and edge.
    /// </summary>
    private static async Task<(bool Exists, bool ClaimedByOthers, Dictionary<GraphKey, GraphFragment> Fragments)> ChunkFragmentsAsync(
        PipelinedTransaction transaction, string chunkId, Guid[] releasing, CancellationToken cancellationToken, bool fragments = true)
    {
        var (exists, others, before) = (false, false, new Dictionary<GraphKey, GraphFragment>());
        List<NpgsqlBatchCommand> statements =
        [
            Statement("SELECT EXISTS (SELECT 1 FROM job_chunks WHERE chunk_id = c.id AND job_id <> ALL($2)) FROM chunks c WHERE c.id = $1 FOR UPDATE OF c",
                chunkId, releasing),
        ];
        if (fragments)
        {
            statements.Add(Statement("SELECT entity_name, entity_type, description FROM graph_entity_fragments WHERE chunk_id = $1", chunkId));
            statements.Add(Statement(
                "SELECT source_name, target_name, keywords, description, weight FROM graph_relationship_fragments WHERE chunk_id = $1", chunkId));
        }
        await transaction.ReadAsync(async reader =>
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (exists, others) = (true, reader.GetBoolean(0));
            }
            if (!fragments) return;
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                before[GraphKey.Entity(reader.GetString(0))] = new GraphFragment(chunkId, reader.GetString(1), reader.GetString(2), [], 0);
            }
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                before[new GraphKey(reader.GetString(0), reader.GetString(1))] =
                    new GraphFragment(chunkId, "", reader.GetString(3), reader.GetFieldValue<string[]>(2), reader.GetDouble(4));
            }
        }, cancellationToken, [.. statements]);
        return (exists, others, before);
    }

    /// <summary>
    /// The second and last round trip of a merge or release: the chunk's fragments replaced (only those that differ, so
    /// a repeated delivery changes nothing), the touched elements' locks and what the change adds to and takes from
    /// each element's counts, the job's change records for every node and edge the chunk speaks of, and the commit.
    /// </summary>
    /// <returns>How many fragments changed.</returns>
    private static async Task<int> CommitChangeAsync(PipelinedTransaction transaction, Guid jobId, string chunkId,
        Dictionary<GraphKey, GraphFragment> before, Dictionary<GraphKey, GraphFragment> after, DateTimeOffset now, CancellationToken cancellationToken,
        params NpgsqlBatchCommand[] more)
    {
        var removed = before.Where(b => !after.TryGetValue(b.Key, out var now) || !b.Value.SaysTheSameAs(now)).ToList();
        var added = after.Where(a => !before.TryGetValue(a.Key, out var was) || !was.SaysTheSameAs(a.Value)).ToList();
        var deltas = FragmentDeltas.Of(removed, added, after.Keys.Where(k => k.IsEntity).Select(k => k.Source).ToHashSet(StringComparer.Ordinal));
        var touched = WithEndpoints(before.Keys.Concat(after.Keys));

        List<NpgsqlBatchCommand> statements = [];
        if (deltas.Elements.Count > 0)
        {
            // The chunk's own fragments first: its row lock covers them. The elements' locks are taken only for the
            // counts all chunks share, so they are held for that one statement and the commit.
            var gone = removed.Where(r => !after.ContainsKey(r.Key)).Select(r => r.Key).ToList();
            if (gone.Any(k => k.IsEntity))
            {
                statements.Add(Statement("DELETE FROM graph_entity_fragments WHERE chunk_id = $1 AND entity_name = ANY($2)",
                    chunkId, gone.Where(k => k.IsEntity).Select(k => k.Source).ToArray()));
            }
            if (gone.Any(k => !k.IsEntity))
            {
                var edges = gone.Where(k => !k.IsEntity).ToList();
                statements.Add(Statement("""
                    DELETE FROM graph_relationship_fragments f USING unnest($2::text[], $3::text[]) AS k(s, t)
                    WHERE f.chunk_id = $1 AND f.source_name = k.s AND f.target_name = k.t
                    """, chunkId, edges.Select(k => k.Source).ToArray(), edges.Select(k => k.Target).ToArray()));
            }
            var addedEntities = added.Where(a => a.Key.IsEntity).ToList();
            if (addedEntities.Count > 0)
            {
                statements.Add(Statement("""
                    INSERT INTO graph_entity_fragments (entity_name, chunk_id, entity_type, description, created_at)
                    SELECT n, $2, t, d, $5 FROM unnest($1::text[], $3::text[], $4::text[]) AS f(n, t, d)
                    ON CONFLICT (entity_name, chunk_id) DO UPDATE SET entity_type = EXCLUDED.entity_type, description = EXCLUDED.description
                    """, addedEntities.Select(a => a.Key.Source).ToArray(), chunkId,
                    addedEntities.Select(a => a.Value.Type).ToArray(), addedEntities.Select(a => a.Value.Description).ToArray(), now));
            }
            var addedEdges = added.Where(a => !a.Key.IsEntity).ToList();
            if (addedEdges.Count > 0)
            {
                statements.Add(Statement("""
                    INSERT INTO graph_relationship_fragments (source_name, target_name, chunk_id, keywords, description, weight, created_at)
                    SELECT s, t, $3, string_to_array(k, chr(1)), d, w, $7
                    FROM unnest($1::text[], $2::text[], $4::text[], $5::text[], $6::float8[]) AS f(s, t, k, d, w)
                    ON CONFLICT (source_name, target_name, chunk_id) DO UPDATE SET
                      keywords = EXCLUDED.keywords, description = EXCLUDED.description, weight = EXCLUDED.weight
                    """, addedEdges.Select(a => a.Key.Source).ToArray(), addedEdges.Select(a => a.Key.Target).ToArray(), chunkId,
                    addedEdges.Select(a => string.Join(IdSeparator, a.Value.Keywords)).ToArray(),
                    addedEdges.Select(a => a.Value.Description).ToArray(), addedEdges.Select(a => a.Value.Weight).ToArray(), now));
            }
            statements.Add(LockStatement(deltas.Elements.Select(e => e.Key.LockName)));
            statements.Add(deltas.Statement(chunkId));
        }
        if (touched.Count > 0)
        {
            statements.Add(RecordChanges(jobId, touched));
        }
        await transaction.CommitAsync(cancellationToken, [.. statements, .. more]);
        return removed.Count + added.Count;
    }

    /// <summary>Records <paramref name="keys"/> as changed by <paramref name="jobId"/>, in one order (so two chunks of a job never wait on each other's rows in a cycle).</summary>
    private static NpgsqlBatchCommand RecordChanges(Guid jobId, IReadOnlyCollection<GraphKey> keys) =>
        Statement("""
            INSERT INTO job_graph_changes (job_id, source_name, target_name)
            SELECT $1, s, t FROM unnest($2::text[], $3::text[]) AS k(s, t) ORDER BY s, t
            ON CONFLICT DO NOTHING
            """, jobId, keys.Select(k => k.Source).ToArray(), keys.Select(k => k.Target).ToArray());

    /// <summary>
    /// Takes the advisory locks of <paramref name="lockNames"/>, in the order of their keys: every transaction that
    /// writes an element's rows takes its locks this way, first, so none waits for another in a cycle.
    /// </summary>
    private static NpgsqlBatchCommand LockStatement(IEnumerable<string> lockNames) =>
        Statement("""
            SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(n, 0) AS k FROM unnest($1::text[]) AS u(n)) AS keys ORDER BY k
            """, (object)lockNames.Distinct().ToArray());

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

    private async Task<T> OnConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await work((NpgsqlConnection)db.Database.GetDbConnection());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Reads the results of <paramref name="statements"/>: one read-only transaction of one round trip, with keyed plans.</summary>
    private static async Task ReadAsync(NpgsqlConnection connection, Func<NpgsqlDataReader, Task> read, CancellationToken cancellationToken,
        params NpgsqlBatchCommand[] statements)
    {
        await using var transaction = new PipelinedTransaction(connection);
        await transaction.ReadAndCommitAsync(read, cancellationToken, statements);
    }
}

/// <summary>
/// What a chunk's changed fragments add to and take from the working state of the elements they touch: per distinct
/// description (an edge's description is also one of each endpoint's, kept only while nobody describes that node as
/// an entity: it is the node's description then), per element (fragment counts, exact weight sum, whether anything
/// was removed), per type and per keyword.
/// </summary>
internal sealed record FragmentDeltas(
    IReadOnlyList<(GraphKey Key, short Kind, string Description, int Fragments)> Descriptions,
    IReadOnlyList<(GraphKey Key, int Fragments, int EndpointFragments, decimal Weight, bool Removed)> Elements,
    IReadOnlyList<(string Entity, string Type, int Fragments)> Types,
    IReadOnlyList<(GraphKey Key, string Keyword, int Fragments)> Keywords)
{
    /// <param name="described">Nodes the chunk describes as entities: described now, their edges' descriptions are not theirs to keep.</param>
    public static FragmentDeltas Of(IEnumerable<KeyValuePair<GraphKey, GraphFragment>> removed, IEnumerable<KeyValuePair<GraphKey, GraphFragment>> added,
        IReadOnlySet<string> described)
    {
        var descriptions = new Dictionary<(GraphKey, short, string), int>();
        var elements = new Dictionary<GraphKey, (int Fragments, int Endpoint, decimal Weight, bool Removed)>();
        var types = new Dictionary<(string, string), int>();
        var keywords = new Dictionary<(GraphKey, string), int>();
        void Add<TKey>(Dictionary<TKey, int> counts, TKey key, int sign) where TKey : notnull => counts[key] = counts.GetValueOrDefault(key) + sign;
        void Element(GraphKey key, int fragments, int endpoint, decimal weight, bool removal)
        {
            var was = elements.GetValueOrDefault(key);
            elements[key] = (was.Fragments + fragments, was.Endpoint + endpoint, was.Weight + weight, was.Removed || removal);
        }

        foreach (var (sign, (key, fragment)) in removed.Select(r => (-1, r)).Concat(added.Select(a => (1, a))))
        {
            Add(descriptions, (key, GraphDescriptionKinds.Own, fragment.Description), sign);
            if (key.IsEntity)
            {
                Element(key, sign, 0, 0, sign < 0);
                Add(types, (key.Source, fragment.Type), sign);
                continue;
            }
            Element(key, sign, 0, sign * GraphWeights.Exact(fragment.Weight), sign < 0);
            foreach (var keyword in fragment.Keywords.Distinct(StringComparer.Ordinal)) Add(keywords, (key, keyword), sign);
            foreach (var endpoint in new[] { GraphKey.Entity(key.Source), GraphKey.Entity(key.Target) })
            {
                if (!described.Contains(endpoint.Source)) Add(descriptions, (endpoint, GraphDescriptionKinds.Endpoint, fragment.Description), sign);
                Element(endpoint, 0, sign, 0, sign < 0);
            }
        }
        return new FragmentDeltas(
            [.. descriptions.Where(d => d.Value != 0).Select(d => (d.Key.Item1, d.Key.Item2, d.Key.Item3, d.Value))],
            [.. elements.Select(e => (e.Key, e.Value.Fragments, e.Value.Endpoint, e.Value.Weight, e.Value.Removed))],
            [.. types.Where(t => t.Value != 0).Select(t => (t.Key.Item1, t.Key.Item2, t.Value))],
            [.. keywords.Where(k => k.Value != 0).Select(k => (k.Key.Item1, k.Key.Item2, k.Value))]);
    }

    /// <summary>The one statement that applies these deltas (<c>Sql/apply-counts.sql</c>).</summary>
    public NpgsqlBatchCommand Statement(string chunkId) => PipelinedTransaction.Statement(GraphSql.ApplyCounts, chunkId,
        Descriptions.Select(d => d.Key.Source).ToArray(), Descriptions.Select(d => d.Key.Target).ToArray(),
        Descriptions.Select(d => d.Kind).ToArray(), Descriptions.Select(d => d.Description).ToArray(), Descriptions.Select(d => d.Fragments).ToArray(),
        Elements.Select(e => e.Key.Source).ToArray(), Elements.Select(e => e.Key.Target).ToArray(),
        Elements.Select(e => e.Fragments).ToArray(), Elements.Select(e => e.EndpointFragments).ToArray(),
        Elements.Select(e => e.Weight).ToArray(), Elements.Select(e => e.Removed).ToArray(),
        Types.Select(t => t.Entity).ToArray(), Types.Select(t => t.Type).ToArray(), Types.Select(t => t.Fragments).ToArray(),
        Keywords.Select(k => k.Key.Source).ToArray(), Keywords.Select(k => k.Key.Target).ToArray(),
        Keywords.Select(k => k.Keyword).ToArray(), Keywords.Select(k => k.Fragments).ToArray());
}

/// <summary>The graph's longer SQL statements, each in its own file under <c>Graph/Sql</c> (embedded), read once.</summary>
internal static class GraphSql
{
    public static readonly string ApplyCounts = Load("apply-counts.sql");
    public static readonly string RecordChunkChanges = Load("record-chunk-changes.sql");
    public static readonly string LoadStates = Load("load-states.sql");
    public static readonly string LoadUncovered = Load("load-uncovered.sql");
    public static readonly string LoadSources = Load("load-sources.sql");
    public static readonly string LoadEndpointFragments = Load("load-endpoint-fragments.sql");

    private static string Load(string file)
    {
        var name = "Shield.Workers.Graph.Sql." + file;
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded SQL {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
