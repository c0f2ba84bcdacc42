using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Shield.Api.Ingestion;

/// <summary>
/// Remembers which job an <c>Idempotency-Key</c> created, with the body's fingerprint, for a retention period.
/// The key is reserved before the job is created (SET NX), so two concurrent retries of one submission cannot
/// both create a job.
/// </summary>
public sealed class IdempotencyKeys(IConnectionMultiplexer redis, IOptions<IngestionLimits> limits)
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;

    public sealed record Claim(bool IsNew, Guid JobId, string BodySha256);

    /// <summary>Reserves the key for <paramref name="jobId"/>, or returns what it was reserved for before.</summary>
    public async Task<Claim> ClaimAsync(string key, Guid jobId, string bodySha256)
    {
        var db = redis.GetDatabase();
        var redisKey = RedisKey(key);
        var value = $"{jobId}|{bodySha256}";
        if (await db.StringSetAsync(redisKey, value, TimeSpan.FromHours(limits.Value.IdempotencyRetentionHours), When.NotExists))
        {
            return new Claim(true, jobId, bodySha256);
        }
        var existing = ((string?)await db.StringGetAsync(redisKey))?.Split('|', 2);
        return existing is [var id, var hash] && Guid.TryParse(id, out var existingJob)
            ? new Claim(false, existingJob, hash)
            : await ClaimAsync(key, jobId, bodySha256); // expired between the two calls: try again
    }

    /// <summary>Frees the key when the job it was reserved for was not created, so a retry can succeed.</summary>
    public Task ReleaseAsync(string key) => redis.GetDatabase().KeyDeleteAsync(RedisKey(key));

    /// <summary>Hashed, so any header content makes a safe, bounded Redis key and the key itself is not stored.</summary>
    private static string RedisKey(string key) =>
        "shield:idempotency:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
