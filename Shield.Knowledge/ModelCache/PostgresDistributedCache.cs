using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shield.Ingestion.Persistence;

namespace Shield.Knowledge.ModelCache;

/// <summary>
/// <see cref="IDistributedCache"/> over the PostgreSQL table <c>model_cache</c>, for Microsoft.Extensions.AI's caching
/// middleware. PostgreSQL rather than Redis: the cache must survive a restart of everything and may grow to gigabytes,
/// which belongs on disk beside the knowledge base it paid for (and is backed up with it), not in the memory of a Redis
/// that runs <c>noeviction</c> for the queue's sake. It is what LightRAG does too (its <c>llm_response_cache</c>).
/// Entries are bounded by age and size, by last use (<see cref="ModelCacheTrimmer"/>), not by per-entry expiry.
/// </summary>
public sealed class PostgresDistributedCache(IServiceScopeFactory scopes, TimeProvider time) : IDistributedCache
{
    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        // The read is also the use that keeps an entry from being trimmed as least recently used.
        var value = await ExecuteAsync<byte[]?>("UPDATE model_cache SET last_used_at = $2 WHERE key = $1 RETURNING value",
            token, key, time.GetUtcNow());
        return value;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        var now = time.GetUtcNow();
        await ExecuteAsync<object?>("""
            INSERT INTO model_cache (key, value, created_at, last_used_at) VALUES ($1, $2, $3, $3)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, last_used_at = EXCLUDED.last_used_at
            """, token, key, value, now);
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
