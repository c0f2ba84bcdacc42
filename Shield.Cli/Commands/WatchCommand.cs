using System.CommandLine;
using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>
/// <c>shield watch [--job ID]</c>: the event stream, one line per event, until Ctrl+C. A stream that drops is
/// resumed from the last event received (<c>Last-Event-ID</c>), so nothing is missed or shown twice.
/// </summary>
public sealed class WatchCommand : ShieldCommand
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);

    private readonly ApiOptions _api;

    private readonly Option<string?> _job = new("--job")
    {
        Description = "Only this job's events, from its start",
        HelpName = "JOB_ID",
    };

    public WatchCommand(CliConsole console, ApiOptions api) : base("watch",
        "Print Shield's events as they happen, one line each, until Ctrl+C; a dropped stream is resumed where it broke off.",
        console)
    {
        _api = api;
        Options.Add(_job);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var jobId = parse.GetValue(_job);
        using var api = new ShieldApiClient(_api.Resolve(parse));
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
                        await Console.Out.WriteLineAsync(EventFormatter.Format(sse));
                        await Console.Out.FlushAsync(cancellationToken);
                    }
                    reason = "The event stream ended";
                }
                catch (ShieldApiException ex) when (ex.Status is >= 400 and < 500)
                {
                    await Console.Error.WriteLineAsync($"error: {ex.Problem}");
                    if (ex.IsAccessDenied) await Console.Error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
                    return ExitCodes.Failure;
                }
                catch (Exception ex) when (ex is ApiUnreachableException or ShieldApiException or TimeoutException)
                {
                    if (!connected)
                    {
                        await Console.Error.WriteLineAsync($"error: {ex.Message}");
                        return ExitCodes.Failure;
                    }
                    reason = ex.Message;
                }
                await Console.Error.WriteLineAsync($"{reason}; reconnecting in {ReconnectDelay.TotalSeconds:0} s.");
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
