using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Shield.Ingestion.Persistence;

namespace Shield.Workers.Graph;

/// <summary>
/// Merges one chunk's entities and relationships into the PostgreSQL graph the way LightRAG merges them, but safe
/// across many worker processes: each chunk's fragments replace what that chunk said before (so reprocessing changes
/// nothing), and every node and edge is recomputed from its fragments under a PostgreSQL advisory lock taken in one
/// global order (so concurrent merges never lose an update and never deadlock).
/// </summary>
public sealed partial class KnowledgeGraphStore(
    ShieldDbContext db,
    IDescriptionSummarizer summarizer,
    TimeProvider time,
    ILogger<KnowledgeGraphStore> logger)
{
    public async Task<GraphMergeResult> MergeAsync(ChunkGraph chunk, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entities = chunk.Entities;
        var relations = chunk.Relations
            .Select(r => (Pair: GraphMergeRules.SortedPair(r.Source, r.Target), r))
            .Where(r => r.Pair.Source != r.Pair.Target)
            .ToList();

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            return await MergeOnOpenConnectionAsync(chunk.ChunkId, entities, relations, now, cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<GraphMergeResult> MergeOnOpenConnectionAsync(string chunkId, IReadOnlyList<EntityMention> entities,
        List<((string Source, string Target) Pair, RelationMention r)> relations, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        List<PendingSummary> summaries;
        GraphMergeResult result;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // The chunk's own lock first: two deliveries of the same chunk then see each other's fragments.
            await LockAsync(connection, ["chunk:" + chunkId], cancellationToken);
            var previousEntities = await ReadStringsAsync(connection,
                "SELECT entity_name FROM graph_entity_fragments WHERE chunk_id = $1", cancellationToken, chunkId);
            var previousPairs = await ReadPairsAsync(connection,
                "SELECT source_name, target_name FROM graph_relationship_fragments WHERE chunk_id = $1", cancellationToken, chunkId);

            var affectedEntities = previousEntities
                .Concat(entities.Select(e => e.Name))
                .Concat(relations.SelectMany(r => new[] { r.Pair.Source, r.Pair.Target }))
                .Concat(previousPairs.SelectMany(p => new[] { p.Source, p.Target }))
                .ToHashSet(StringComparer.Ordinal);
            var affectedPairs = previousPairs.Concat(relations.Select(r => r.Pair)).ToHashSet();

            await LockAsync(connection,
                affectedEntities.Select(n => "entity:" + n).Concat(affectedPairs.Select(p => $"edge:{p.Source}\u0001{p.Target}")),
                cancellationToken);

            await ReplaceFragmentsAsync(connection, chunkId, entities, relations.Select(r => (r.Pair, r.r)).ToList(), now, cancellationToken);

            summaries = [];
            var (mergedEntities, removedEntities) = await RecomputeEntitiesAsync(connection, affectedEntities, now, summaries, cancellationToken);
            var (mergedRelationships, removedPairs) = await RecomputeRelationshipsAsync(connection, affectedPairs, now, summaries, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            result = new GraphMergeResult(mergedEntities, removedEntities, mergedRelationships, removedPairs);
        }

        // Model calls can take seconds: they run after the locks are released, and only land if no other merge
        // changed the fragments meanwhile (the hash check), in which case that merge summarises instead.
        foreach (var pending in summaries)
        {
            var summary = await summarizer.SummarizeAsync(pending.Subject, pending.Fragments, cancellationToken);
            if (await StoreSummaryAsync(connection, pending, summary, cancellationToken))
            {
                result = pending.Apply(result, summary);
                LogSummarized(pending.Subject, pending.Fragments.Count);
            }
        }
        return result;
    }

    private static async Task LockAsync(NpgsqlConnection connection, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        // Sorted keys: every process acquires overlapping locks in the same order, so merges cannot deadlock.
        foreach (var key in names.Select(LockKey).Distinct().Order())
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static long LockKey(string name) => BitConverter.ToInt64(MD5.HashData(Encoding.UTF8.GetBytes(name)), 0);

    private static async Task ReplaceFragmentsAsync(NpgsqlConnection connection, string chunkId,
        IReadOnlyList<EntityMention> entities, List<((string Source, string Target) Pair, RelationMention Relation)> relations,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, "DELETE FROM graph_entity_fragments WHERE chunk_id = $1", cancellationToken, chunkId);
        await ExecuteAsync(connection, "DELETE FROM graph_relationship_fragments WHERE chunk_id = $1", cancellationToken, chunkId);

        if (entities.Count > 0)
        {
            await ExecuteAsync(connection, """
                INSERT INTO graph_entity_fragments (entity_name, chunk_id, entity_type, description, created_at)
                SELECT n, $2, t, d, $5 FROM unnest($1::text[], $3::text[], $4::text[]) AS f(n, t, d)
                ON CONFLICT (entity_name, chunk_id) DO NOTHING
                """, cancellationToken,
                entities.Select(e => e.Name).ToArray(), chunkId,
                entities.Select(e => e.EntityType).ToArray(), entities.Select(e => e.Description).ToArray(), now);
        }
        foreach (var (pair, relation) in relations.DistinctBy(r => r.Pair))
        {
            await ExecuteAsync(connection, """
                INSERT INTO graph_relationship_fragments (source_name, target_name, chunk_id, keywords, description, weight, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (source_name, target_name, chunk_id) DO NOTHING
                """, cancellationToken,
                pair.Source, pair.Target, chunkId, relation.Keywords.ToArray(), relation.Description, relation.Weight, now);
        }
    }

    private async Task<(List<MergedEntity>, List<string>)> RecomputeEntitiesAsync(NpgsqlConnection connection,
        HashSet<string> names, DateTimeOffset now, List<PendingSummary> summaries, CancellationToken cancellationToken)
    {
        var nameArray = names.ToArray();
        var fragments = new Dictionary<string, List<(string Type, string Description, string ChunkId)>>(StringComparer.Ordinal);
        await using (var command = Command(connection, """
            SELECT entity_name, entity_type, description, chunk_id FROM graph_entity_fragments
            WHERE entity_name = ANY($1) ORDER BY created_at, chunk_id
            """, (object)nameArray))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                if (!fragments.TryGetValue(name, out var list)) fragments[name] = list = [];
                list.Add((reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }
        var edgeDescriptions = await EndpointDescriptionsAsync(connection, nameArray, cancellationToken);
        var existing = await ExistingAsync(connection, "SELECT name, fragments_hash, summarized, description FROM graph_entities WHERE name = ANY($1)",
            r => r.GetString(0), cancellationToken, (object)nameArray);

        var merged = new List<MergedEntity>();
        var removed = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            fragments.TryGetValue(name, out var own);
            string type;
            List<string> descriptions;
            List<string> chunkIds;
            if (own is { Count: > 0 })
            {
                // Most frequent type wins, ties to the earliest seen; UNKNOWN only when nothing better was said.
                type = own.Select((f, i) => (f.Type, i)).GroupBy(f => f.Type)
                    .OrderByDescending(g => g.Key != GraphMergeRules.UnknownType).ThenByDescending(g => g.Count()).ThenBy(g => g.Min(f => f.i))
                    .First().Key;
                descriptions = own.Select(f => f.Description).Distinct(StringComparer.Ordinal).ToList();
                chunkIds = own.Select(f => f.ChunkId).Distinct(StringComparer.Ordinal).Take(GraphMergeRules.MaxSourceIds).ToList();
            }
            else if (edgeDescriptions.TryGetValue(name, out var fromEdges))
            {
                // LightRAG creates an endpoint nobody described as an entity, typed UNKNOWN, from the edge's text.
                type = GraphMergeRules.UnknownType;
                descriptions = fromEdges.Select(e => e.Description).Distinct(StringComparer.Ordinal).ToList();
                chunkIds = fromEdges.Select(e => e.ChunkId).Distinct(StringComparer.Ordinal).Take(GraphMergeRules.MaxSourceIds).ToList();
            }
            else
            {
                await ExecuteAsync(connection, "DELETE FROM graph_entities WHERE name = $1", cancellationToken, name);
                removed.Add(name);
                continue;
            }

            var (description, hash, summarized) = Describe(descriptions, existing.GetValueOrDefault(name));
            await ExecuteAsync(connection, """
                INSERT INTO graph_entities (name, entity_type, description, source_chunk_ids, fragment_count, fragments_hash, summarized, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (name) DO UPDATE SET entity_type = EXCLUDED.entity_type, description = EXCLUDED.description,
                  source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count,
                  fragments_hash = EXCLUDED.fragments_hash, summarized = EXCLUDED.summarized, updated_at = EXCLUDED.updated_at
                """, cancellationToken, name, type, description, chunkIds.ToArray(), descriptions.Count, hash, summarized, now);
            merged.Add(new MergedEntity(name, type, description, chunkIds));
            if (NeedsSummary(descriptions) && !summarized)
            {
                summaries.Add(PendingSummary.ForEntity(name, descriptions, hash));
            }
        }
        return (merged, removed);
    }

    private async Task<(List<MergedRelationship>, List<(string, string)>)> RecomputeRelationshipsAsync(NpgsqlConnection connection,
        HashSet<(string Source, string Target)> pairs, DateTimeOffset now, List<PendingSummary> summaries, CancellationToken cancellationToken)
    {
        var merged = new List<MergedRelationship>();
        var removed = new List<(string, string)>();
        foreach (var (source, target) in pairs.Order())
        {
            var fragments = new List<(string[] Keywords, string Description, double Weight, string ChunkId)>();
            await using (var command = Command(connection, """
                SELECT keywords, description, weight, chunk_id FROM graph_relationship_fragments
                WHERE source_name = $1 AND target_name = $2 ORDER BY created_at, chunk_id
                """, source, target))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    fragments.Add((reader.GetFieldValue<string[]>(0), reader.GetString(1), reader.GetDouble(2), reader.GetString(3)));
                }
            }

            if (fragments.Count == 0)
            {
                await ExecuteAsync(connection, "DELETE FROM graph_relationships WHERE source_name = $1 AND target_name = $2", cancellationToken, source, target);
                removed.Add((source, target));
                continue;
            }

            var keywords = fragments.SelectMany(f => f.Keywords).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var weight = fragments.Sum(f => f.Weight);
            var descriptions = fragments.Select(f => f.Description).Distinct(StringComparer.Ordinal).ToList();
            var chunkIds = fragments.Select(f => f.ChunkId).Distinct(StringComparer.Ordinal).Take(GraphMergeRules.MaxSourceIds).ToArray();
            var existing = await ExistingAsync(connection,
                "SELECT source_name, fragments_hash, summarized, description FROM graph_relationships WHERE source_name = $1 AND target_name = $2",
                r => r.GetString(0), cancellationToken, source, target);
            var (description, hash, summarized) = Describe(descriptions, existing.GetValueOrDefault(source));
            await ExecuteAsync(connection, """
                INSERT INTO graph_relationships (source_name, target_name, keywords, description, weight, source_chunk_ids, fragment_count, fragments_hash, summarized, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (source_name, target_name) DO UPDATE SET keywords = EXCLUDED.keywords, description = EXCLUDED.description,
                  weight = EXCLUDED.weight, source_chunk_ids = EXCLUDED.source_chunk_ids, fragment_count = EXCLUDED.fragment_count,
                  fragments_hash = EXCLUDED.fragments_hash, summarized = EXCLUDED.summarized, updated_at = EXCLUDED.updated_at
                """, cancellationToken, source, target, keywords, description, weight, chunkIds, descriptions.Count, hash, summarized, now);
            merged.Add(new MergedRelationship(source, target, keywords, description, weight, chunkIds));
            if (NeedsSummary(descriptions) && !summarized)
            {
                summaries.Add(PendingSummary.ForRelationship(source, target, descriptions, hash));
            }
        }
        return (merged, removed);
    }

    /// <summary>
    /// Joined fragments, unless a summary of exactly these fragments already exists (then it is kept, so reprocessing
    /// a chunk does not pay for the model again).
    /// </summary>
    private static (string Description, string Hash, bool Summarized) Describe(List<string> descriptions, Existing? existing)
    {
        var hash = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(string.Join('\u0001', descriptions))));
        if (existing is { Summarized: true } summary && summary.FragmentsHash == hash)
        {
            return (summary.Description, hash, true);
        }
        return (string.Join(GraphMergeRules.Separator, descriptions), hash, false);
    }

    private static bool NeedsSummary(List<string> descriptions) =>
        descriptions.Count >= GraphMergeRules.SummaryFragmentThreshold
        || GraphMergeRules.ApproximateTokens(string.Join(GraphMergeRules.Separator, descriptions)) > GraphMergeRules.SummaryTokenThreshold;

    private static async Task<bool> StoreSummaryAsync(NpgsqlConnection connection, PendingSummary pending, string summary, CancellationToken cancellationToken)
    {
        var sql = pending.Target is null
            ? "UPDATE graph_entities SET description = $2, summarized = true WHERE name = $1 AND fragments_hash = $3"
            : "UPDATE graph_relationships SET description = $2, summarized = true WHERE source_name = $1 AND target_name = $4 AND fragments_hash = $3";
        object[] args = pending.Target is null
            ? [pending.Source, summary, pending.Hash]
            : [pending.Source, summary, pending.Hash, pending.Target];
        await using var command = Command(connection, sql, args);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task<Dictionary<string, List<(string Description, string ChunkId)>>> EndpointDescriptionsAsync(
        NpgsqlConnection connection, string[] names, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        await using var command = Command(connection, """
            SELECT source_name, target_name, description, chunk_id FROM graph_relationship_fragments
            WHERE source_name = ANY($1) OR target_name = ANY($1) ORDER BY created_at, chunk_id
            """, (object)names);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            foreach (var endpoint in new[] { reader.GetString(0), reader.GetString(1) }.Where(wanted.Contains))
            {
                if (!result.TryGetValue(endpoint, out var list)) result[endpoint] = list = [];
                list.Add((reader.GetString(2), reader.GetString(3)));
            }
        }
        return result;
    }

    private sealed record Existing(string FragmentsHash, bool Summarized, string Description);

    private static async Task<Dictionary<string, Existing>> ExistingAsync(NpgsqlConnection connection, string sql,
        Func<DbDataReader, string> key, CancellationToken cancellationToken, params object[] args)
    {
        var result = new Dictionary<string, Existing>(StringComparer.Ordinal);
        await using var command = Command(connection, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[key(reader)] = new Existing(reader.GetString(1), reader.GetBoolean(2), reader.GetString(3));
        }
        return result;
    }

    private static async Task<List<string>> ReadStringsAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] args)
    {
        var result = new List<string>();
        await using var command = Command(connection, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add(reader.GetString(0));
        return result;
    }

    private static async Task<List<(string Source, string Target)>> ReadPairsAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] args)
    {
        var result = new List<(string, string)>();
        await using var command = Command(connection, sql, args);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) result.Add((reader.GetString(0), reader.GetString(1)));
        return result;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] args)
    {
        await using var command = Command(connection, sql, args);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params object[] args)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        }
        return command;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Summarised the description of {Subject} from {Fragments} fragments")]
    private partial void LogSummarized(string subject, int fragments);

    /// <summary>A description to summarise once the merge's locks are released.</summary>
    private sealed record PendingSummary(string Subject, string Source, string? Target, IReadOnlyList<string> Fragments, string Hash)
    {
        public static PendingSummary ForEntity(string name, IReadOnlyList<string> fragments, string hash) =>
            new(name, name, null, fragments, hash);

        public static PendingSummary ForRelationship(string source, string target, IReadOnlyList<string> fragments, string hash) =>
            new($"{source} — {target}", source, target, fragments, hash);

        public GraphMergeResult Apply(GraphMergeResult result, string summary) => Target is null
            ? result with { Entities = [.. result.Entities.Select(e => e.Name == Source ? e with { Description = summary } : e)] }
            : result with { Relationships = [.. result.Relationships.Select(r => r.Source == Source && r.Target == Target ? r with { Description = summary } : r)] };
    }
}
