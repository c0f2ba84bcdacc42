using System.Globalization;
using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary><c>shield status &lt;job_id&gt;</c>: the job's state, counts and error. Exit 0 when the job exists.</summary>
public sealed class StatusCommand(CliConsole console)
{
    public const string Name = "status";

    public const string Usage = """
        Usage: shield status <job_id> [--api URL] [--api-key KEY]

        Prints the job's state, chunk counts, times and error. Exit code 0 if the job exists.
        A read key is enough (--api-key, default: $SHIELD_API_KEY).
        """;

    public async Task<int> RunAsync(CommandLine line, CancellationToken cancellationToken)
    {
        if (line.Arguments.Count != 1) throw new CommandLineException("Name exactly one job id.");
        using var api = new ShieldApiClient(ApiOptions.Resolve(line));
        try
        {
            var job = await api.GetJobAsync(line.Arguments[0], cancellationToken);
            await console.Out.WriteAsync(Describe(job));
            return ExitCodes.Success;
        }
        catch (ShieldApiException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Problem}");
            if (ex.IsAccessDenied) await console.Error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
            return ExitCodes.Failure;
        }
        catch (ApiUnreachableException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    public static string Describe(JobSnapshot job)
    {
        var lines = new List<(string, string?)>
        {
            ("job", job.JobId),
            ("state", job.Status),
            ("source type", job.SourceType),
            ("chunks", $"{job.ChunksProcessed} processed, {job.ChunksFailed} failed, {job.ChunksTotal} total " +
                $"({job.PercentComplete.ToString("0.##", CultureInfo.InvariantCulture)}%)"),
            ("created", Time(job.CreatedAt)),
            ("started", Time(job.StartedAt)),
            ("finished", Time(job.CompletedAt)),
        };
        if (job.StartedAt is { } started && job.CompletedAt is { } completed)
        {
            lines.Add(("took", $"{(completed - started).TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"));
        }
        lines.Add(("error", job.Error ?? "none"));
        return string.Concat(lines.Where(l => l.Item2 is not null).Select(l => $"{l.Item1 + ":",-13}{l.Item2}\n"));
    }

    private static string? Time(DateTimeOffset? time) => time?.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss.fff zzz", CultureInfo.InvariantCulture);
}
