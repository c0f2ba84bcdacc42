using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>
/// <c>shield watch [--job ID]</c>: the event stream, one line per event, until Ctrl+C. A stream that drops is
/// resumed from the last event received (<c>Last-Event-ID</c>), so nothing is missed or shown twice.
/// </summary>
public sealed class WatchCommand(CliConsole console)
{
    public const string Name = "watch";
    public const string JobOption = "job";
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    public const string Usage = """
        Usage: shield watch [--job JOB_ID] [--api URL] [--api-key KEY]

        Prints Shield's events as they happen, one line each, until Ctrl+C. With --job, only that job's events,
        from its start. A read key is enough (--api-key, default: $SHIELD_API_KEY).
        """;

    public async Task<int> RunAsync(CommandLine line, CancellationToken cancellationToken)
    {
        if (line.Arguments.Count != 0) throw new CommandLineException($"Unexpected argument '{line.Arguments[0]}'.");
        var jobId = line.Option(JobOption);
        using var api = new ShieldApiClient(ApiOptions.Resolve(line));
        string? lastEventId = null;
        var connected = false;
        try
        {
            while (true)
            {
                string reason;
                try
                {
                    await foreach (var sse in api.StreamEventsAsync(jobId, lastEventId, cancellationToken))
                    {
                        connected = true;
                        lastEventId = sse.Id ?? lastEventId;
                        await console.Out.WriteLineAsync(EventFormatter.Format(sse));
                        await console.Out.FlushAsync(cancellationToken);
                    }
                    reason = "The event stream ended";
                }
                catch (ShieldApiException ex) when (ex.Status is >= 400 and < 500)
                {
                    await console.Error.WriteLineAsync($"error: {ex.Problem}");
                    if (ex.IsAccessDenied) await console.Error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
                    return ExitCodes.Failure;
                }
                catch (Exception ex) when (ex is ApiUnreachableException or ShieldApiException or TimeoutException)
                {
                    if (!connected)
                    {
                        await console.Error.WriteLineAsync($"error: {ex.Message}");
                        return ExitCodes.Failure;
                    }
                    reason = ex.Message;
                }
                await console.Error.WriteLineAsync($"{reason}; reconnecting in {ReconnectDelay.TotalSeconds:0} s.");
                await Task.Delay(ReconnectDelay, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C is how watching ends.
            return ExitCodes.Success;
        }
    }
}
