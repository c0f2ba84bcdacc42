using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shield.Ingestion.Persistence;

namespace Shield.Knowledge.ModelCache;

/// <summary>
/// Keeps the model cache within <see cref="ModelCacheOptions.MaxAgeDays"/> and <see cref="ModelCacheOptions.MaxSizeMegabytes"/>:
/// entries unused for too long go, then the least recently used until the rest fits. Several processes may trim at
/// once; each statement is idempotent.
/// </summary>
public sealed partial class ModelCacheTrimmer(
    IServiceScopeFactory scopes,
    IOptions<ModelCacheOptions> options,
    TimeProvider time,
    ILogger<ModelCacheTrimmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.TrimIntervalSeconds), time);
        try
        {
            do
            {
                try
                {
                    await TrimAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogTrimFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Removes entries unused for <see cref="ModelCacheOptions.MaxAgeDays"/>, then, if the entries still hold more than
    /// <see cref="ModelCacheOptions.MaxSizeMegabytes"/>, the least recently used beyond it. Both walk the last-used index
    /// (never the table): the age bound deletes a range of it; the size bound is skipped while the table's whole disk
    /// size is within the bound (the common case, one catalog read), and otherwise walks the index from the most
    /// recently used, summing entry sizes (an index-only scan of <c>size_bytes</c>) to the bound, and deletes what lies
    /// beyond.
    /// </summary>
    public async Task<int> TrimAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        var oldest = time.GetUtcNow().AddDays(-options.Value.MaxAgeDays);
        var maxBytes = (long)options.Value.MaxSizeMegabytes * 1024 * 1024;
        var removed = await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM model_cache WHERE last_used_at < {oldest}", cancellationToken);
        var onDisk = await db.Database.SqlQuery<long>($"SELECT pg_total_relation_size('model_cache') AS \"Value\"").SingleAsync(cancellationToken);
        if (onDisk > maxBytes)
        {
            removed += await db.Database.ExecuteSqlInterpolatedAsync($"""
                DELETE FROM model_cache WHERE (last_used_at, key) <= (
                  SELECT last_used_at, key FROM (
                    SELECT last_used_at, key, sum(size_bytes) OVER (ORDER BY last_used_at DESC, key DESC) AS kept
                    FROM model_cache ORDER BY last_used_at DESC, key DESC) newest
                  WHERE kept > {maxBytes} LIMIT 1)
                """, cancellationToken);
        }
        if (removed > 0)
        {
            LogTrimmed(removed);
        }
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model cache: removed {Count} entries past its age or size bound")]
    private partial void LogTrimmed(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model cache: trimming failed; it is tried again next interval")]
    private partial void LogTrimFailed(Exception exception);
}
