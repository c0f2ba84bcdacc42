using System.CommandLine;
using System.Globalization;
using Shield.Cli.Api;
using Shield.Contracts.Jobs;

namespace Shield.Cli.Commands;

/// <summary><c>shield status &lt;job_id&gt;</c>: the job's state, counts and error. Exit 0 when the job exists.</summary>
public sealed class StatusCommand : ShieldCommand
{
    private readonly ApiOptions _api;

    private readonly Argument<string> _jobId = new("job_id")
    {
        Description = "The job's id, as `shield ingest` printed it",
    };

    public StatusCommand(CliConsole console, ApiOptions api) : base("status",
        "Print a job's state, chunk counts, times and error. Exit code 0 if the job exists.", console)
    {
        _api = api;
        Arguments.Add(_jobId);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        using var api = new ShieldApiClient(_api.Resolve(parse));
        try
        {
            var job = await api.GetJobAsync(parse.GetRequiredValue(_jobId), cancellationToken);
            await Console.Out.WriteAsync(Describe(job));
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ApiErrors.IsApiError(ex))
        {
            // A read key is enough; the Api has none to spare for a caller without one.
            return await ApiErrors.ReportAsync(Console.Error, ex);
        }
    }

    public static string Describe(JobSnapshot job)
    {
        var lines = new List<(string, string?)>
        {
            ("job", job.JobId.ToString()),
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
