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

    public async Task<int> TrimAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        var oldest = time.GetUtcNow().AddDays(-options.Value.MaxAgeDays);
        var maxBytes = (long)options.Value.MaxSizeMegabytes * 1024 * 1024;
        var removed = await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM model_cache WHERE last_used_at < {oldest}", cancellationToken);
        removed += await db.Database.ExecuteSqlInterpolatedAsync($"""
            DELETE FROM model_cache WHERE key IN (
              SELECT key FROM (SELECT key, sum(octet_length(value)) OVER (ORDER BY last_used_at DESC, key) AS kept FROM model_cache) newest
              WHERE kept > {maxBytes})
            """, cancellationToken);
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
