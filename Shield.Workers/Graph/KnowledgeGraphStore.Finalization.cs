using Npgsql;
using Shield.Ingestion.Persistence;
using static Shield.Workers.Graph.PipelinedTransaction;

namespace Shield.Workers.Graph;

/// <summary>A node or edge as a finalisation loads it: its working state, and what is published of it now.</summary>
/// <param name="SourceUris">The source URIs of its first source chunks (LightRAG's <c>file_path</c>), distinct, at most 20.</param>
/// <param name="Unchanged">Nothing changed since it was published and the job owes it no summary: there is nothing to do
/// (its type, keywords and source chunks were not read).</param>
public sealed record LoadedElement(ElementState State, string? PublishedPointHash, string? PublishedViewHash, string[] SourceUris, bool Unchanged);

/// <summary>A vector a published node or edge calls for (<see cref="Text"/> null: its vector goes).</summary>
public sealed record PendingVector(GraphKey Key, string? PointHash, string? Text, string? PayloadJson);

/// <summary>A node or edge as its job's finalisation leaves it.</summary>
/// <param name="LoadedVersion">The working state's version it was computed from (null: there was none): it is published only if that is still the version.</param>
/// <param name="Element">Null when nothing is left of it: its row and vector go.</param>
/// <param name="Publish">What is published of it changes (its view, its summary's coverage, or it goes).</param>
/// <param name="DescribingKind">The kind of description that describes it (<see cref="GraphDescriptionKinds"/>).</param>
/// <param name="Covers">Descriptions (of that kind) its new summary covers (the normal path).</param>
/// <param name="Rebuilt">A rebuild's aggregates and the descriptions its replayed summary covers, written back in place of the merges'.</param>
/// <param name="SummaryFailed">A summary it was owed failed: it stays joined, and the next finalisation rebuilds it (asking again).</param>
/// <param name="Vector">The vector write it calls for once published; null when its vector is already what it would write.</param>
/// <param name="RetryIfStale">It carries a summary this finalisation made: if the state changed meanwhile, this job computes it again.</param>
/// <param name="Unchanged">Nothing to publish (<see cref="LoadedElement.Unchanged"/>): its change record just goes.</param>
public sealed record FinalElement(
    GraphKey Key,
    long? LoadedVersion,
    GraphElement? Element,
    string? PointHash,
    bool Publish,
    short DescribingKind,
    IReadOnlyList<Guid> Covers,
    (ElementAggregates Aggregates, IReadOnlySet<Guid> Covered)? Rebuilt,
    bool SummaryFailed,
    PendingVector? Vector,
    bool RetryIfStale,
    bool Unchanged = false);

/// <summary>The distinct descriptions a job's own chunks give each node and edge, by kind (the per-job summary rule counts them).</summary>
public sealed class JobDescriptions
{
    private readonly Dictionary<(GraphKey, short), HashSet<Guid>> _byKey = [];

    public static readonly JobDescriptions None = new();

    public IReadOnlySet<Guid> Of(GraphKey key, short kind) => _byKey.TryGetValue((key, kind), out var set) ? set : EmptySet;

    internal void Add(GraphKey key, short kind, Guid hash)
    {
        if (!_byKey.TryGetValue((key, kind), out var set)) _byKey[(key, kind)] = set = [];
        set.Add(hash);
    }

    private static readonly HashSet<Guid> EmptySet = [];
}

public sealed partial class KnowledgeGraphStore
{
    /// <summary>
    /// What <paramref name="jobId"/>'s own chunks say of each element, as distinct descriptions: one read of the job's
    /// fragments through the chunk index, in proportion to the job, however large the knowledge base.
    /// </summary>
    public async Task<JobDescriptions> JobDescriptionsAsync(Guid jobId, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var descriptions = new JobDescriptions();
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    descriptions.Add(GraphKey.Entity(reader.GetString(0)), GraphDescriptionKinds.Own, reader.GetGuid(1));
                }
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var (source, target, hash) = (reader.GetString(0), reader.GetString(1), reader.GetGuid(2));
                    descriptions.Add(new GraphKey(source, target), GraphDescriptionKinds.Own, hash);
                    descriptions.Add(GraphKey.Entity(source), GraphDescriptionKinds.Endpoint, hash);
                    descriptions.Add(GraphKey.Entity(target), GraphDescriptionKinds.Endpoint, hash);
                }
            }, cancellationToken,
                Statement("""
                    SELECT f.entity_name, md5(f.description)::uuid FROM job_chunks j JOIN graph_entity_fragments f ON f.chunk_id = j.chunk_id
                    WHERE j.job_id = $1
                    """, jobId),
                Statement("""
                    SELECT f.source_name, f.target_name, md5(f.description)::uuid FROM job_chunks j JOIN graph_relationship_fragments f ON f.chunk_id = j.chunk_id
                    WHERE j.job_id = $1
                    """, jobId));
            return descriptions;
        }, cancellationToken);

    /// <summary>
    /// Up to <paramref name="limit"/> of the nodes and edges still waiting for <paramref name="jobId"/>'s finalisation,
    /// in key order after <paramref name="after"/> (null: from the first), read through the change table's key.
    /// </summary>
    public async Task<IReadOnlyList<GraphKey>> PendingChangesAsync(Guid jobId, GraphKey? after, int limit, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var keys = new List<GraphKey>();
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken)) keys.Add(new GraphKey(reader.GetString(0), reader.GetString(1)));
            }, cancellationToken, Statement("""
                SELECT source_name, target_name FROM job_graph_changes
                WHERE job_id = $1 AND NOT vector_pending AND (source_name, target_name) > ($2, $3)
                ORDER BY source_name, target_name LIMIT $4
                """, jobId, after?.Source ?? "", after?.Target ?? "", limit));
            return (IReadOnlyList<GraphKey>)keys;
        }, cancellationToken);

    /// <summary>
    /// The elements' working state, what is published of them, and (for those a finalisation will compose) their type
    /// votes, keywords and first source chunks with those chunks' source URIs: two round trips, rows in proportion to
    /// the batch (at most 200 source chunks an element, and the descriptions no summary covers), not to the elements'
    /// history. An element nothing changed since it was published (<see cref="LoadedElement.Unchanged"/>) is composed
    /// only if <paramref name="wantsSummary"/> says the job owes it a summary (a job holding chunks of several earlier
    /// documents may bring 8 descriptions none of them brought alone); otherwise its details are not read at all.
    /// </summary>
    public async Task<IReadOnlyList<LoadedElement>> LoadAsync(IReadOnlyList<GraphKey> keys,
        Func<GraphKey, short, ElementDescriptions, bool> wantsSummary, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var states = new Dictionary<GraphKey, StateRow>();
            var uncovered = keys.ToDictionary(k => k, _ => new List<Description>());
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = new GraphKey(reader.GetString(0), reader.GetString(1));
                    states[key] = reader.IsDBNull(2)
                        ? new StateRow(null, null, 0, 0, 0, 0, 0, false, null, NullableString(reader, 10), NullableString(reader, 11))
                        : new StateRow(reader.GetInt64(2), reader.GetInt64(12), reader.GetInt32(3), reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6),
                            reader.GetDecimal(7), reader.GetBoolean(8), NullableString(reader, 9), NullableString(reader, 10), NullableString(reader, 11));
                }
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    uncovered[new GraphKey(reader.GetString(0), reader.GetString(1))].Add(
                        new Description(reader.GetGuid(2), reader.GetString(3), reader.GetString(4)));
                }
            }, cancellationToken,
                Statement(GraphSql.LoadStates, keys.Select(k => k.Source).ToArray(), keys.Select(k => k.Target).ToArray()),
                Statement(GraphSql.LoadUncovered, keys.Select(k => k.Source).ToArray(), keys.Select(k => k.Target).ToArray()));

            var heads = keys.Select(key =>
            {
                var row = states.GetValueOrDefault(key) ?? new StateRow(null, null, 0, 0, 0, 0, 0, false, null, null, null);
                var exists = row.Version is not null && (row.Fragments > 0 || row.EndpointFragments > 0);
                var kind = key.IsEntity && row.Fragments == 0 ? GraphDescriptionKinds.Endpoint : GraphDescriptionKinds.Own;
                var descriptions = new ElementDescriptions(exists ? row.Summary : null,
                    [.. uncovered[key].OrderBy(d => d.FirstChunkId, StringComparer.Ordinal).ThenBy(d => d.Text, StringComparer.Ordinal)]);
                var unchanged = exists && !row.NeedsReplay && row.Version == row.PublishedVersion && row.ViewHash is not null
                    && !wantsSummary(key, kind, descriptions);
                return (Key: key, Row: row, Exists: exists, Kind: kind, Descriptions: descriptions, Unchanged: unchanged);
            }).ToList();

            var detailed = heads.Where(h => h.Exists && !h.Unchanged).Select(h => h.Key).ToList();
            var types = detailed.ToDictionary(k => k, _ => new List<(string, int, string)>());
            var keywords = detailed.ToDictionary(k => k, _ => new List<string>());
            var chunks = detailed.ToDictionary(k => k, _ => new List<string>());
            var uris = detailed.ToDictionary(k => k, _ => new List<string>());
            if (detailed.Count > 0)
            {
                var names = detailed.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
                var edges = detailed.Where(k => !k.IsEntity).ToList();
                await ReadAsync(connection, async reader =>
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var key = new GraphKey(reader.GetString(0), reader.GetString(1));
                        chunks[key].Add(reader.GetString(2));
                        if (!reader.IsDBNull(3)) uris[key].Add(reader.GetString(3));
                    }
                    if (names.Length > 0)
                    {
                        await reader.NextResultAsync(cancellationToken);
                        while (await reader.ReadAsync(cancellationToken))
                        {
                            types[GraphKey.Entity(reader.GetString(0))].Add((reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
                        }
                    }
                    if (edges.Count > 0)
                    {
                        await reader.NextResultAsync(cancellationToken);
                        while (await reader.ReadAsync(cancellationToken))
                        {
                            keywords[new GraphKey(reader.GetString(0), reader.GetString(1))].Add(reader.GetString(2));
                        }
                    }
                }, cancellationToken,
                [
                    Statement(GraphSql.LoadSources, detailed.Select(k => k.Source).ToArray(), detailed.Select(k => k.Target).ToArray()),
                    .. names.Length == 0 ? [] : new[]
                    {
                        Statement("""
                            SELECT y.entity_name, y.entity_type, y.fragments, y.first_chunk_id
                            FROM unnest($1::text[]) AS k(n) JOIN graph_entity_types y ON y.entity_name = k.n WHERE y.fragments > 0
                            """, (object)names),
                    },
                    .. edges.Count == 0 ? [] : new[]
                    {
                        Statement("""
                            SELECT w.source_name, w.target_name, w.keyword
                            FROM unnest($1::text[], $2::text[]) AS k(s, t) JOIN graph_relationship_keywords w ON w.source_name = k.s AND w.target_name = k.t
                            WHERE w.fragments > 0
                            """, edges.Select(k => k.Source).ToArray(), edges.Select(k => k.Target).ToArray()),
                    },
                ]);
            }

            return (IReadOnlyList<LoadedElement>)[.. heads.Select(h =>
            {
                var state = new ElementState(
                    h.Key,
                    h.Row.Version,
                    h.Row.NeedsReplay,
                    h.Exists,
                    h.Kind,
                    h.Kind == GraphDescriptionKinds.Endpoint ? GraphMergeRules.UnknownType : GraphElement.VoteType(types.GetValueOrDefault(h.Key) ?? []),
                    keywords.GetValueOrDefault(h.Key) ?? [],
                    (double)h.Row.Weight,
                    chunks.GetValueOrDefault(h.Key) ?? [],
                    h.Kind == GraphDescriptionKinds.Endpoint ? h.Row.EndpointDescriptions : h.Row.Descriptions,
                    h.Descriptions);
                return new LoadedElement(state, h.Row.PointHash, h.Row.ViewHash, [.. (uris.GetValueOrDefault(h.Key) ?? []).Distinct()], h.Unchanged);
            })];
        }, cancellationToken);

    /// <summary>
    /// Every fragment of the elements a rebuild replays (the deletion's finalisation, or an element a removed fragment
    /// or a failed summary marked): history-sized, the one read that is, paid only for those.
    /// </summary>
    public async Task<IReadOnlyDictionary<GraphKey, ElementAggregates>> FragmentsAsync(IReadOnlyCollection<GraphKey> keys, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var own = keys.ToDictionary(k => k, _ => new List<GraphFragment>());
            var endpoint = keys.ToDictionary(k => k, _ => new List<GraphFragment>());
            var names = keys.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
            var edges = keys.Where(k => !k.IsEntity).ToList();
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    own[GraphKey.Entity(reader.GetString(0))].Add(new GraphFragment(reader.GetString(1), reader.GetString(2), reader.GetString(3), [], 0));
                }
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    endpoint[GraphKey.Entity(reader.GetString(0))].Add(
                        new GraphFragment(reader.GetString(1), GraphMergeRules.UnknownType, reader.GetString(2), [], 0));
                }
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    own[new GraphKey(reader.GetString(0), reader.GetString(1))].Add(new GraphFragment(reader.GetString(2), "",
                        reader.GetString(4), reader.GetFieldValue<string[]>(3), reader.GetDouble(5)));
                }
            }, cancellationToken,
                Statement("SELECT entity_name, chunk_id, entity_type, description FROM graph_entity_fragments WHERE entity_name = ANY($1)", (object)names),
                Statement(GraphSql.LoadEndpointFragments, (object)names),
                Statement("""
                    SELECT f.source_name, f.target_name, f.chunk_id, f.keywords, f.description, f.weight
                    FROM unnest($1::text[], $2::text[]) AS k(s, t) JOIN graph_relationship_fragments f ON f.source_name = k.s AND f.target_name = k.t
                    """, edges.Select(k => k.Source).ToArray(), edges.Select(k => k.Target).ToArray()));
            return (IReadOnlyDictionary<GraphKey, ElementAggregates>)keys.ToDictionary(k => k,
                k => new ElementAggregates(k, [.. own[k].OrderBy(f => f.ChunkId, StringComparer.Ordinal)],
                    [.. endpoint[k].OrderBy(f => f.ChunkId, StringComparer.Ordinal)]));
        }, cancellationToken);

    /// <summary>
    /// The jobs that hold any of <paramref name="chunkIds"/>, each with the ones it holds, in the order the jobs stored
    /// their first chunk: the order a rebuild replays their finalisations in.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlySet<string>>> ClaimsInJobOrderAsync(IReadOnlyCollection<string> chunkIds, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var claims = new List<(Guid Job, DateTimeOffset First, HashSet<string> Chunks)>();
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    claims.Add((reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<string[]>(2).ToHashSet(StringComparer.Ordinal)));
                }
            }, cancellationToken, Statement("""
                SELECT c.job_id, (SELECT min(created_at) FROM job_chunks j WHERE j.job_id = c.job_id), array_agg(DISTINCT c.chunk_id)
                FROM unnest($1::text[]) AS u(id) JOIN job_chunks c ON c.chunk_id = u.id GROUP BY c.job_id
                """, (object)chunkIds.ToArray()));
            return (IReadOnlyList<IReadOnlySet<string>>)[.. claims.OrderBy(c => c.First).ThenBy(c => c.Job).Select(c => c.Chunks)];
        }, cancellationToken);

    /// <summary>
    /// Publishes a finalisation batch, in one transaction under the batch's locks (two round trips): each element whose
    /// working state is still the version it was computed from is written (its row, its summary's coverage, a
    /// rebuild's aggregates), and its change record either goes or, where a vector is to be written, stays marked
    /// with that vector (<see cref="WriteVectorsAsync"/> writes it next, outside this transaction). An element that
    /// changed meanwhile is left to the job whose change it was (that job's finalisation comes after), unless it carried
    /// a summary only this job asks for (<see cref="FinalElement.RetryIfStale"/>): then this job's change record stays,
    /// and its finalisation computes it again. An element with nothing to publish (<see cref="FinalElement.Unchanged"/>)
    /// takes no lock: only its change record goes. No model or vector store is called while the locks are held.
    /// </summary>
    /// <returns>The keys that were published (the others changed meanwhile).</returns>
    public async Task<IReadOnlyList<GraphKey>> PublishAsync(Guid jobId, IReadOnlyList<FinalElement> batch, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            await using var transaction = new PipelinedTransaction(connection);
            var current = new Dictionary<GraphKey, long>();
            var work = batch.Where(b => !b.Unchanged).ToList();
            if (work.Count > 0) await transaction.ReadAsync(async reader =>
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    current[new GraphKey(reader.GetString(0), reader.GetString(1))] = reader.IsDBNull(2) ? -1 : reader.GetInt64(2);
                }
            }, cancellationToken,
                LockStatement(work.Select(b => b.Key.LockName)),
                Statement("""
                    SELECT k.s, k.t, st.version FROM unnest($1::text[], $2::text[]) AS k(s, t)
                    LEFT JOIN graph_element_states st ON st.source_name = k.s AND st.target_name = k.t
                    """, work.Select(b => b.Key.Source).ToArray(), work.Select(b => b.Key.Target).ToArray()));

            var fresh = batch.Where(b => !b.Unchanged && current.GetValueOrDefault(b.Key, -1) == (b.LoadedVersion ?? -1)).ToList();
            var freshKeys = fresh.Select(f => f.Key).ToHashSet();
            var now = time.GetUtcNow();
            List<NpgsqlBatchCommand> statements = [];
            var published = fresh.Where(f => f.Element is not null && f.Publish).Select(f => (f.Element!, f.PointHash)).ToList();
            statements.AddRange(UpsertStatements(published, now));

            var gone = fresh.Where(f => f.Element is null).Select(f => f.Key).ToList();
            if (gone.Count > 0)
            {
                statements.AddRange(RemoveStatements(gone));
            }
            var covers = fresh.Where(f => f.Element is not null).SelectMany(f => f.Covers.Select(h => (f.Key, Kind: f.DescribingKind, Hash: h))).ToList();
            if (covers.Count > 0)
            {
                statements.Add(Statement("""
                    UPDATE graph_descriptions d SET covered = true FROM unnest($1::text[], $2::text[], $3::smallint[], $4::uuid[]) AS c(s, t, k, h)
                    WHERE d.source_name = c.s AND d.target_name = c.t AND d.kind = c.k AND d.description_hash = c.h AND NOT d.covered
                    """, covers.Select(c => c.Key.Source).ToArray(), covers.Select(c => c.Key.Target).ToArray(),
                    covers.Select(c => c.Kind).ToArray(), covers.Select(c => c.Hash).ToArray()));
            }
            var rebuilt = fresh.Where(f => f.Element is not null && f.Rebuilt is not null).Select(f => f.Rebuilt!.Value).ToList();
            if (rebuilt.Count > 0)
            {
                statements.AddRange(RewriteStatements(rebuilt));
            }
            var present = fresh.Where(f => f.Element is not null).ToList();
            if (present.Count > 0)
            {
                // Whatever it published, the state is now the published one; a change raises the version, so a
                // finalisation that loaded the state before this one is stale. A failed summary asks for a rebuild.
                var changed = present.Select(f => f.Publish || f.Covers.Count > 0 || f.Rebuilt is not null || f.SummaryFailed).ToArray();
                statements.Add(Statement("""
                    UPDATE graph_element_states st SET version = st.version + k.bump, published_version = st.version + k.bump,
                      needs_replay = CASE WHEN k.bump = 1 THEN k.replay ELSE st.needs_replay END
                    FROM unnest($1::text[], $2::text[], $3::int[], $4::bool[]) AS k(s, t, bump, replay) WHERE st.source_name = k.s AND st.target_name = k.t
                    """, present.Select(c => c.Key.Source).ToArray(), present.Select(c => c.Key.Target).ToArray(),
                    changed.Select(c => c ? 1 : 0).ToArray(), present.Select(c => c.SummaryFailed).ToArray()));
            }

            var vectors = fresh.Where(f => f.Vector is not null).Select(f => f.Vector!).ToList();
            if (vectors.Count > 0)
            {
                statements.Add(Statement("""
                    UPDATE job_graph_changes c SET vector_pending = true, point_hash = v.h
                    FROM unnest($2::text[], $3::text[], $4::text[]) AS v(s, t, h)
                    WHERE c.job_id = $1 AND c.source_name = v.s AND c.target_name = v.t
                    """, jobId, vectors.Select(v => v.Key.Source).ToArray(), vectors.Select(v => v.Key.Target).ToArray(),
                    vectors.Select(v => v.PointHash).ToArray()));
            }
            var done = batch.Where(b => b.Unchanged || (freshKeys.Contains(b.Key) ? b.Vector is null : !b.RetryIfStale)).Select(b => b.Key).ToList();
            if (done.Count > 0)
            {
                statements.Add(Statement("""
                    DELETE FROM job_graph_changes c USING unnest($2::text[], $3::text[]) AS k(s, t)
                    WHERE c.job_id = $1 AND c.source_name = k.s AND c.target_name = k.t
                    """, jobId, done.Select(k => k.Source).ToArray(), done.Select(k => k.Target).ToArray()));
            }
            await transaction.CommitAsync(cancellationToken, [.. statements]);
            return (IReadOnlyList<GraphKey>)[.. fresh.Select(f => f.Key)];
        }, cancellationToken);

    /// <summary>
    /// The elements <paramref name="jobId"/> published whose vectors are still to be written (left by a process that
    /// died between the two), with the point each vector was for (null: removed).
    /// </summary>
    public async Task<IReadOnlyList<(GraphKey Key, string? PointHash)>> PendingVectorsAsync(Guid jobId, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            var pending = new List<(GraphKey, string?)>();
            await ReadAsync(connection, async reader =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    pending.Add((new GraphKey(reader.GetString(0), reader.GetString(1)), NullableString(reader, 2)));
                }
            }, cancellationToken, Statement("""
                SELECT source_name, target_name, point_hash FROM job_graph_changes WHERE job_id = $1 AND vector_pending
                """, jobId));
            return (IReadOnlyList<(GraphKey, string?)>)pending;
        }, cancellationToken);

    /// <summary>
    /// Writes the vectors published elements call for, then forgets their change records. Under each element's vector
    /// lock (not its graph lock: merges go on), a vector is written only if the element's published point is still the
    /// one it was made for, so vector writes land in the order of the publishes they follow, whichever process makes
    /// them; one made stale by a later publish is dropped, that publish's own write coming after. The vector store's
    /// round trip runs in this transaction, which holds only vector locks.
    /// </summary>
    /// <returns>How many vectors were written or removed.</returns>
    /// <param name="superseded">Further pending records to forget: their vectors were made stale by a later publish.</param>
    public async Task<int> WriteVectorsAsync(Guid jobId, IReadOnlyList<PendingVector> pending, IReadOnlyList<GraphKey> superseded,
        Func<IReadOnlyList<PendingVector>, Task> write, CancellationToken cancellationToken) =>
        await OnConnectionAsync(async connection =>
        {
            if (pending.Count == 0 && superseded.Count == 0) return 0;
            await using var transaction = new PipelinedTransaction(connection);
            var points = new Dictionary<GraphKey, string?>();
            if (pending.Count > 0) await transaction.ReadAsync(async reader =>
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    points[new GraphKey(reader.GetString(0), reader.GetString(1))] = NullableString(reader, 2);
                }
            }, cancellationToken,
                LockStatement(pending.Select(p => p.Key.VectorLockName)),
                Statement("""
                    SELECT k.s, k.t, coalesce(e.point_hash, r.point_hash) FROM unnest($1::text[], $2::text[]) AS k(s, t)
                    LEFT JOIN graph_entities e ON k.t = '' AND e.name = k.s
                    LEFT JOIN graph_relationships r ON k.t <> '' AND r.source_name = k.s AND r.target_name = k.t
                    """, pending.Select(p => p.Key.Source).ToArray(), pending.Select(p => p.Key.Target).ToArray()));
            // Still current: the published point is the one this vector was made for (or, for a removal, nothing is published).
            var current = pending.Where(p => points.GetValueOrDefault(p.Key) == p.PointHash).ToList();
            if (current.Count > 0)
            {
                await write(current);
            }
            var forgotten = pending.Select(p => p.Key).Concat(superseded).ToList();
            await transaction.CommitAsync(cancellationToken, Statement("""
                DELETE FROM job_graph_changes c USING unnest($2::text[], $3::text[]) AS k(s, t)
                WHERE c.job_id = $1 AND c.source_name = k.s AND c.target_name = k.t AND c.vector_pending
                """, jobId, forgotten.Select(k => k.Source).ToArray(), forgotten.Select(k => k.Target).ToArray()));
            return current.Count;
        }, cancellationToken);

    /// <summary>An element's working state and what is published of it, as one row of <c>load-states.sql</c> (null version: no state).</summary>
    private sealed record StateRow(long? Version, long? PublishedVersion, int Fragments, int EndpointFragments, int Descriptions, int EndpointDescriptions, decimal Weight,
        bool NeedsReplay, string? Summary, string? PointHash, string? ViewHash);

    private static IEnumerable<NpgsqlBatchCommand> UpsertStatements(IReadOnlyList<(GraphElement Element, string? PointHash)> published, DateTimeOffset now)
    {
        var entities = published.Where(p => p.Element.Key.IsEntity).ToList();
        if (entities.Count > 0)
        {
            var e = entities.Select(p => p.Element).ToList();
            yield return Statement("""
                INSERT INTO graph_entities (name, entity_type, description, source_chunk_ids, fragment_count, view_hash, summarized, summary, point_hash, updated_at)
                SELECT n, t, d, string_to_array(i, chr(1)), c, v, s, m, p, $10
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::bool[], $8::text[], $9::text[]) AS u(n, t, d, i, c, v, s, m, p)
                ON CONFLICT (name) DO UPDATE SET entity_type = EXCLUDED.entity_type, description = EXCLUDED.description,
                  source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count, view_hash = EXCLUDED.view_hash,
                  summarized = EXCLUDED.summarized, summary = EXCLUDED.summary, point_hash = EXCLUDED.point_hash, updated_at = EXCLUDED.updated_at
                """, e.Select(x => x.Key.Source).ToArray(), e.Select(x => x.Type).ToArray(), e.Select(x => x.Description).ToArray(),
                e.Select(x => string.Join(IdSeparator, x.SourceChunkIds)).ToArray(), e.Select(x => x.FragmentCount).ToArray(),
                e.Select(x => x.ViewHash).ToArray(), e.Select(x => x.Summarized).ToArray(), e.Select(x => x.Summary).ToArray(),
                entities.Select(p => p.PointHash).ToArray(), now);
        }
        var edges = published.Where(p => !p.Element.Key.IsEntity).ToList();
        if (edges.Count > 0)
        {
            var r = edges.Select(p => p.Element).ToList();
            yield return Statement("""
                INSERT INTO graph_relationships (source_name, target_name, keywords, description, weight, source_chunk_ids, fragment_count, view_hash,
                                                 summarized, summary, point_hash, updated_at)
                SELECT s, t, string_to_array(k, chr(1)), d, w, string_to_array(i, chr(1)), c, v, z, m, p, $12
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::int[], $8::text[], $9::bool[], $10::text[], $11::text[])
                  AS u(s, t, k, d, w, i, c, v, z, m, p)
                ON CONFLICT (source_name, target_name) DO UPDATE SET keywords = EXCLUDED.keywords, description = EXCLUDED.description,
                  weight = EXCLUDED.weight, source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count,
                  view_hash = EXCLUDED.view_hash, summarized = EXCLUDED.summarized, summary = EXCLUDED.summary,
                  point_hash = EXCLUDED.point_hash, updated_at = EXCLUDED.updated_at
                """, r.Select(x => x.Key.Source).ToArray(), r.Select(x => x.Key.Target).ToArray(),
                r.Select(x => string.Join(IdSeparator, x.Keywords)).ToArray(), r.Select(x => x.Description).ToArray(), r.Select(x => x.Weight).ToArray(),
                r.Select(x => string.Join(IdSeparator, x.SourceChunkIds)).ToArray(), r.Select(x => x.FragmentCount).ToArray(),
                r.Select(x => x.ViewHash).ToArray(), r.Select(x => x.Summarized).ToArray(), r.Select(x => x.Summary).ToArray(),
                edges.Select(p => p.PointHash).ToArray(), now);
        }
    }

    /// <summary>An element nothing is left of: its published row, and its working state with the zero counts removals left.</summary>
    private static IEnumerable<NpgsqlBatchCommand> RemoveStatements(IReadOnlyList<GraphKey> gone)
    {
        var (sources, targets) = (gone.Select(k => k.Source).ToArray(), gone.Select(k => k.Target).ToArray());
        var names = gone.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
        yield return Statement("DELETE FROM graph_entities WHERE name = ANY($1)", (object)names);
        yield return Statement("DELETE FROM graph_entity_types WHERE entity_name = ANY($1)", (object)names);
        foreach (var table in new[] { "graph_relationships", "graph_relationship_keywords", "graph_descriptions", "graph_element_states" })
        {
            yield return Statement($"""
                DELETE FROM {table} x USING unnest($1::text[], $2::text[]) AS k(s, t) WHERE x.source_name = k.s AND x.target_name = k.t
                """, sources, targets);
        }
    }

    /// <summary>A rebuild's aggregates in place of what the merges kept: its descriptions (with the replayed coverage), types, keywords and counts.</summary>
    private static IEnumerable<NpgsqlBatchCommand> RewriteStatements(IReadOnlyList<(ElementAggregates Aggregates, IReadOnlySet<Guid> Covered)> rebuilt)
    {
        var keys = rebuilt.Select(r => r.Aggregates.Key).ToList();
        var (sources, targets) = (keys.Select(k => k.Source).ToArray(), keys.Select(k => k.Target).ToArray());
        var names = keys.Where(k => k.IsEntity).Select(k => k.Source).ToArray();
        // Edges' descriptions are kept for a node only while nobody describes it (as the merges keep them).
        var descriptions = rebuilt.SelectMany(r => new[] { (GraphDescriptionKinds.Own, r.Aggregates.Fragments),
                    (GraphDescriptionKinds.Endpoint, r.Aggregates.DescribingKind == GraphDescriptionKinds.Endpoint ? r.Aggregates.EndpointFragments : []) }
                .SelectMany(kind => ElementAggregates.DescriptionsOf(kind.Item2).Select(d => (r.Aggregates.Key, Kind: kind.Item1, d.Description, d.Fragments,
                    Covered: kind.Item1 == r.Aggregates.DescribingKind && r.Covered.Contains(d.Description.Hash)))))
            .ToList();
        var types = rebuilt.SelectMany(r => r.Aggregates.Key.IsEntity ? r.Aggregates.Types.Select(t => (r.Aggregates.Key.Source, t.Type, t.Fragments, t.FirstChunkId)) : []).ToList();
        var keywords = rebuilt.SelectMany(r => r.Aggregates.Key.IsEntity ? [] : r.Aggregates.KeywordCounts.Select(k => (r.Aggregates.Key, k.Keyword, k.Fragments))).ToList();

        yield return Statement("""
            DELETE FROM graph_descriptions d USING unnest($1::text[], $2::text[]) AS k(s, t) WHERE d.source_name = k.s AND d.target_name = k.t
            """, sources, targets);
        yield return Statement("""
            INSERT INTO graph_descriptions (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
            SELECT s, t, k, md5(x)::uuid, x, n, c, v FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::int[], $6::text[], $7::bool[]) AS u(s, t, k, x, n, c, v)
            """, descriptions.Select(d => d.Key.Source).ToArray(), descriptions.Select(d => d.Key.Target).ToArray(), descriptions.Select(d => d.Kind).ToArray(),
            descriptions.Select(d => d.Description.Text).ToArray(), descriptions.Select(d => d.Fragments).ToArray(),
            descriptions.Select(d => d.Description.FirstChunkId).ToArray(), descriptions.Select(d => d.Covered).ToArray());
        if (names.Length > 0)
        {
            yield return Statement("DELETE FROM graph_entity_types WHERE entity_name = ANY($1)", (object)names);
            yield return Statement("""
                INSERT INTO graph_entity_types (entity_name, entity_type, fragments, first_chunk_id)
                SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[])
                """, types.Select(t => t.Source).ToArray(), types.Select(t => t.Type).ToArray(), types.Select(t => t.Fragments).ToArray(),
                types.Select(t => t.FirstChunkId).ToArray());
        }
        if (keys.Any(k => !k.IsEntity))
        {
            yield return Statement("""
                DELETE FROM graph_relationship_keywords w USING unnest($1::text[], $2::text[]) AS k(s, t) WHERE w.source_name = k.s AND w.target_name = k.t
                """, sources, targets);
            yield return Statement("""
                INSERT INTO graph_relationship_keywords (source_name, target_name, keyword, fragments)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
                """, keywords.Select(k => k.Key.Source).ToArray(), keywords.Select(k => k.Key.Target).ToArray(),
                keywords.Select(k => k.Keyword).ToArray(), keywords.Select(k => k.Fragments).ToArray());
        }
        var a = rebuilt.Select(r => r.Aggregates).ToList();
        yield return Statement("""
            UPDATE graph_element_states st SET fragments = u.f, endpoint_fragments = u.e, descriptions = u.d, endpoint_descriptions = u.ed, weight = u.w
            FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[], $6::int[], $7::numeric[]) AS u(s, t, f, e, d, ed, w)
            WHERE st.source_name = u.s AND st.target_name = u.t
            """, sources, targets, a.Select(x => x.Fragments.Count).ToArray(), a.Select(x => x.EndpointFragments.Count).ToArray(),
            a.Select(x => ElementAggregates.DescriptionsOf(x.Fragments).Count).ToArray(),
            a.Select(x => x.DescribingKind == GraphDescriptionKinds.Endpoint ? ElementAggregates.DescriptionsOf(x.EndpointFragments).Count : 0).ToArray(),
            a.Select(x => x.Weight).ToArray());
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
