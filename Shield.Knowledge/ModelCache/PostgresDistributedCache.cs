using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Shield.Ingestion.Persistence;

namespace Shield.Knowledge.ModelCache;

/// <summary>
/// <see cref="IDistributedCache"/> over the PostgreSQL table <c>model_cache</c>, for Microsoft.Extensions.AI's caching
/// middleware. PostgreSQL rather than Redis: the cache must survive a restart of everything and may grow to gigabytes,
/// which belongs on disk beside the knowledge base it paid for (and is backed up with it), not in the memory of a Redis
/// that runs <c>noeviction</c> for the queue's sake. It is what LightRAG does too (its <c>llm_response_cache</c>).
/// Entries are bounded by age and size, by last use (<see cref="ModelCacheTrimmer"/>), not by per-entry expiry. A hit
/// is a plain read by key; it refreshes the entry's last-used time only when that is older than
/// <see cref="ModelCacheOptions.LastUsedResolutionMinutes"/>, so reading a cached answer writes nothing in the common case.
/// </summary>
public sealed class PostgresDistributedCache(IServiceScopeFactory scopes, IOptions<ModelCacheOptions> options, TimeProvider time) : IDistributedCache
{
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        await db.Database.OpenConnectionAsync(token);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            byte[]? value;
            DateTimeOffset lastUsed;
            await using (var read = new NpgsqlCommand("SELECT value, last_used_at FROM model_cache WHERE key = $1", connection))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = key });
                await using var reader = await read.ExecuteReaderAsync(token);
                if (!await reader.ReadAsync(token))
                {
                    return null;
                }
                (value, lastUsed) = (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<DateTimeOffset>(1));
            }
            // The use that keeps an entry from being trimmed as least recently used, recorded coarsely.
            var now = time.GetUtcNow();
            var stale = now - TimeSpan.FromMinutes(options.Value.LastUsedResolutionMinutes);
            if (lastUsed < stale)
            {
                await using var refresh = new NpgsqlCommand("UPDATE model_cache SET last_used_at = $2 WHERE key = $1 AND last_used_at < $3", connection);
                refresh.Parameters.Add(new NpgsqlParameter { Value = key });
                refresh.Parameters.Add(new NpgsqlParameter { Value = now });
                refresh.Parameters.Add(new NpgsqlParameter { Value = stale });
                await refresh.ExecuteNonQueryAsync(token);
            }
            return value;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var now = time.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        await db.Database.OpenConnectionAsync(token);
        try
        {
            // One round trip, committed without waiting for the disk: a model answer is a cache entry, and losing the
            // last fraction of a second of them to a crash of PostgreSQL itself (a Workers process dying loses nothing)
            // only means asking the model again, while a flush per entry would make every embedding wait for the disk.
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO model_cache (key, value, created_at, last_used_at) VALUES ($1, $2, $3, $3)
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, last_used_at = EXCLUDED.last_used_at
                """);
            foreach (var arg in new object[] { key, value, now }) insert.Parameters.Add(new NpgsqlParameter { Value = arg });
            batch.BatchCommands.Add(insert);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await batch.ExecuteNonQueryAsync(token);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public Task RefreshAsync(string key, CancellationToken token = default) =>
        ExecuteAsync<object?>("UPDATE model_cache SET last_used_at = $2 WHERE key = $1", token, key, time.GetUtcNow());

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) =>
        ExecuteAsync<object?>("DELETE FROM model_cache WHERE key = $1", token, key);

    private async Task<T?> ExecuteAsync<T>(string sql, CancellationToken token, params object[] args)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        await db.Database.OpenConnectionAsync(token);
        try
        {
            await using var command = new NpgsqlCommand(sql, (NpgsqlConnection)db.Database.GetDbConnection());
            foreach (var arg in args) command.Parameters.Add(new NpgsqlParameter { Value = arg });
            var result = await command.ExecuteScalarAsync(token);
            return result is null or DBNull ? default : (T)result;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
