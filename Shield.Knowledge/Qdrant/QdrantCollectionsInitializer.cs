using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Shield.Knowledge.Qdrant;

/// <summary>
/// Creates the collections when the service starts, so the first chunk does not pay for it and a misconfigured
/// Qdrant shows in the log at once. Qdrant being down does not stop the service: it tries again with backoff
/// (and every vector call tries too), as for any other dependency outage.
/// </summary>
public sealed partial class QdrantCollectionsInitializer(QdrantCollections collections, TimeProvider time, ILogger<QdrantCollectionsInitializer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await collections.EnsureAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, attempt)));
                LogNotReady(ex, wait.TotalSeconds);
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Qdrant collections could not be prepared yet; trying again in {Seconds} s")]
    private partial void LogNotReady(Exception exception, double seconds);
}
