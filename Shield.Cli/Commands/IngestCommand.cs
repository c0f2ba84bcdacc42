using System.CommandLine;
using System.Text.Json.Nodes;
using Shield.Cli.Api;
using Shield.Cli.Chunking;
using Shield.Cli.Progress;
using Shield.Contracts.Ingestion;

namespace Shield.Cli.Commands;

/// <summary>
/// <c>shield ingest &lt;files or folders&gt;</c>: chunks every text file as LightRAG would, submits one job per file,
/// and follows the jobs to their end. Exit 0 only when every job completed.
/// </summary>
public sealed class IngestCommand : ShieldCommand
{
    public const string DefaultSourceType = "file";

    private readonly ApiOptions _api;
    private readonly FollowOptions _follow;

    private readonly Argument<string[]> _paths = new("paths")
    {
        Description = "Text files, and folders to read recursively (hidden entries, binary and empty files are skipped)",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string> _sourceType = new("--source-type")
    {
        Description = "The jobs' source_type",
        HelpName = "TYPE",
        DefaultValueFactory = _ => DefaultSourceType,
    };

    public IngestCommand(CliConsole console, ApiOptions api, FollowOptions follow) : base("ingest",
        "Chunk text files as LightRAG does (1,200 tokens, 100 overlap), submit one job per file and follow the jobs " +
        "to their end. Exit code 0 only if every job completed.",
        console)
    {
        _api = api;
        _follow = follow;
        Arguments.Add(_paths);
        Options.Add(_sourceType);
        // The parser hands a misspelt option (--source-typ) to the paths, which take any word: say what it is.
        _paths.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Select(t => t.Value))
            {
                if (token.Length > 1 && token[0] == '-' && !File.Exists(token) && !Directory.Exists(token))
                {
                    result.AddError($"Unrecognized option '{token}'.");
                }
            }
        });
        _sourceType.Validators.Add(result =>
        {
            if (string.IsNullOrWhiteSpace(result.GetValueOrDefault<string>())) result.AddError("--source-type must not be empty.");
        });
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var settings = _api.Resolve(parse);
        var sourceType = parse.GetRequiredValue(_sourceType);

        DocumentSet found;
        try
        {
            found = await DocumentFiles.ReadAsync(parse.GetRequiredValue(_paths), cancellationToken);
        }
        catch (FileNotFoundException ex)
        {
            throw new UsageException(ex.Message);
        }
        foreach (var skipped in found.Skipped)
        {
            await Console.Error.WriteLineAsync($"skipped {skipped.DisplayName}: {skipped.Reason}");
        }

        var chunker = new TokenChunker();
        var documents = found.Documents
            .Select(d => (Document: d, Chunks: chunker.Split(d.Text)))
            .Where(d => d.Chunks.Count > 0)
            .ToList();
        if (documents.Count == 0)
        {
            await Console.Error.WriteLineAsync("Nothing to ingest: no text files with content were found.");
            return ExitCodes.Failure;
        }

        var options = chunker.Options;
        await Console.Out.WriteLineAsync(
            $"Ingesting {Plural(documents.Count, "file")} ({Plural(documents.Sum(d => d.Chunks.Count), "chunk")} of at most " +
            $"{options.ChunkTokenSize:N0} tokens, {options.OverlapTokenSize} overlap) into {settings.BaseAddress}");

        using var api = new ShieldApiClient(settings);
        var jobs = documents.Select(d => new FileJob(d.Document.DisplayName, d.Chunks.Count)).ToList();
        if (!await SubmitAllAsync(api, documents, jobs, sourceType, cancellationToken))
        {
            return ExitCodes.Failure;
        }

        var submitted = jobs.Where(j => j.JobId is not null).ToList();
        if (submitted.Count > 0 && await FollowAllAsync(api, submitted, cancellationToken) is { } interrupted)
        {
            return interrupted;
        }
        return await SummariseAsync(jobs);
    }

    /// <returns>False when nothing more can be submitted (access refused, Api unreachable).</returns>
    private async Task<bool> SubmitAllAsync(
        ShieldApiClient api, List<(TextDocument Document, IReadOnlyList<DocumentChunk> Chunks)> documents,
        List<FileJob> jobs, string sourceType, CancellationToken cancellationToken)
    {
        for (var i = 0; i < documents.Count; i++)
        {
            var (document, chunks) = documents[i];
            try
            {
                var accepted = await api.SubmitAsync(BuildRequest(document, chunks, sourceType), cancellationToken);
                jobs[i].Accepted(accepted);
                await Console.Out.WriteLineAsync($"{document.DisplayName}: job {accepted.JobId} ({Plural(accepted.ChunksTotal, "chunk")})");
            }
            catch (ShieldApiException ex) when (ex.IsAccessDenied)
            {
                await Console.Error.WriteLineAsync($"error: the API refused the submission of {document.DisplayName}:\n  {ex.Problem}");
                await Console.Error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
                await ReportSubmittedAsync(jobs);
                return false;
            }
            catch (ShieldApiException ex)
            {
                jobs[i].NotSubmitted(ex.Problem.ToString());
                await Console.Error.WriteLineAsync($"error: {document.DisplayName} was not accepted:\n  {ex.Problem}");
            }
            catch (ApiUnreachableException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                await ReportSubmittedAsync(jobs);
                return false;
            }
        }
        return true;
    }

    private async Task ReportSubmittedAsync(List<FileJob> jobs)
    {
        foreach (var job in jobs.Where(j => j.JobId is not null))
        {
            await Console.Error.WriteLineAsync($"Already submitted, still running: {job.DisplayName} (job {job.JobId}).");
        }
    }

    /// <returns>The exit code when interrupted; null when every job was followed to its end.</returns>
    private async Task<int?> FollowAllAsync(ShieldApiClient api, List<FileJob> jobs, CancellationToken cancellationToken)
    {
        await using IProgressView view = Console.Terminal is { } terminal
            ? new LiveProgressView(terminal, jobs, _follow.Time)
            : new PlainProgressView(Console.Out);
        var follower = new JobFollower(api, view, _follow);
        using var streams = new SemaphoreSlim(_follow.MaxConcurrentStreams);
        try
        {
            await Task.WhenAll(jobs.Select(async job =>
            {
                await streams.WaitAsync(cancellationToken);
                try
                {
                    await follower.FollowAsync(job, cancellationToken);
                }
                finally
                {
                    streams.Release();
                }
            }));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await view.CompleteAsync();
            await Console.Error.WriteLineAsync("Stopped following. The jobs go on in Shield; see them with `shield status <job_id>`.");
            return ExitCodes.Interrupted;
        }
        await view.CompleteAsync();
        return null;
    }

    private async Task<int> SummariseAsync(List<FileJob> jobs)
    {
        var unfinished = jobs.Where(j => !j.Completed).ToList();
        if (unfinished.Count == 0)
        {
            await Console.Out.WriteLineAsync($"Done: {Plural(jobs.Count, "job")} completed, {Plural(jobs.Sum(j => j.Processed), "chunk")} processed.");
            return ExitCodes.Success;
        }
        await Console.Error.WriteLineAsync($"{unfinished.Count} of {Plural(jobs.Count, "job")} did not complete:");
        foreach (var job in unfinished)
        {
            var id = job.JobId is null ? "" : $" (job {job.JobId})";
            var failed = job.Failed > 0 ? $", {job.Failed} of {Plural(job.Total, "chunk")} failed" : "";
            await Console.Error.WriteLineAsync($"  {job.DisplayName}{id}: {job.State}{failed}{(job.Error is null ? "" : ": " + job.Error)}");
        }
        return ExitCodes.Failure;
    }

    /// <summary>One job per file: <c>source_uri</c> is the file's path and the chunk's index; the file's name and path go in the job's metadata.</summary>
    public static IngestionRequest BuildRequest(TextDocument document, IReadOnlyList<DocumentChunk> chunks, string sourceType) => new(
        chunks.Select(c => new IngestionChunk(
            c.Content,
            $"{document.Path}#chunk-{c.Index}",
            new JsonObject { ["chunk_order_index"] = c.Index, ["tokens"] = c.Tokens })).ToList(),
        sourceType,
        new JsonObject
        {
            ["file_name"] = Path.GetFileName(document.Path),
            ["file_path"] = document.Path,
        });

    private static string Plural(int count, string noun) => $"{count:N0} {noun}{(count == 1 ? "" : "s")}";
}
