using System.CommandLine;
using Shield.Cli.Api;
using Shield.Cli.Files;
using Shield.Cli.Progress;
using Shield.Contracts.Documents;
using Shield.Documents.Extraction;

namespace Shield.Cli.Commands;

/// <summary>
/// <c>shield ingest &lt;files or folders&gt;</c>: uploads every file to <c>POST /documents</c> (the Api extracts the
/// text of PDFs and .docx files and cuts every document as LightRAG does), one upload per file so that one file the
/// Api refuses does not hold back the others, then follows the jobs it queued to their end. A document the Api
/// already knows is reported as such and not ingested again (unless <c>--reprocess</c>). Exit 0 only when every file
/// was accepted and every queued job completed.
/// </summary>
public sealed class IngestCommand : ShieldCommand
{
    private readonly ApiOptions _api;
    private readonly FollowOptions _follow;

    private readonly Argument<string[]> _paths = new("paths")
    {
        Description = $"Files ({FileType.SupportedList}, or other UTF-8 text), and folders to read recursively " +
            "(hidden entries, binary and empty files are skipped)",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string?> _splitByCharacter = new("--split-by-character")
    {
        Description = "Cut the text at this string first, then each piece into token windows (LightRAG's split_by_character)",
        HelpName = "TEXT",
    };

    private readonly Option<bool> _splitByCharacterOnly = new("--split-by-character-only")
    {
        Description = "Cut only at --split-by-character; a piece over 1,200 tokens is refused (LightRAG's split_by_character_only)",
    };

    private readonly Option<bool> _reprocess = new("--reprocess")
    {
        Description = "Ingest documents the Api already has again",
    };

    public IngestCommand(CliConsole console, ApiOptions api, FollowOptions follow) : base("ingest",
        "Upload files to the Api, which cuts them as LightRAG does (1,200 tokens, 100 overlap) into one job per document, " +
        "and follow the jobs to their end. Exit code 0 only if every file was accepted and every job completed.",
        console)
    {
        _api = api;
        _follow = follow;
        Arguments.Add(_paths);
        Options.Add(_splitByCharacter);
        Options.Add(_splitByCharacterOnly);
        Options.Add(_reprocess);
        // The parser hands a misspelt option (--reprocesss) to the paths, which take any word: say what it is.
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
        _splitByCharacter.Validators.Add(result =>
        {
            if (string.IsNullOrEmpty(result.GetValueOrDefault<string?>())) result.AddError("--split-by-character must not be empty.");
        });
        Validators.Add(result =>
        {
            if (result.GetValue(_splitByCharacterOnly) && result.GetValue(_splitByCharacter) is null)
            {
                result.AddError("--split-by-character-only needs --split-by-character.");
            }
        });
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var settings = _api.Resolve(parse);
        var options = new UploadOptions(parse.GetValue(_reprocess), parse.GetValue(_splitByCharacter), parse.GetValue(_splitByCharacterOnly));

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
        if (found.Documents.Count == 0)
        {
            await Console.Error.WriteLineAsync("Nothing to ingest: no files with text were found.");
            return ExitCodes.Failure;
        }

        await Console.Out.WriteLineAsync($"Uploading {Plural(found.Documents.Count, "file")} to {settings.BaseAddress}");
        using var api = new ShieldApiClient(settings);
        var uploads = found.Documents.Select(d => new FileUpload(d, new FileJob(d.DisplayName, 0))).ToList();
        if (!await UploadAllAsync(api, uploads, options, cancellationToken))
        {
            return ExitCodes.Failure;
        }

        var queued = uploads.Where(u => u.Job.JobId is not null).Select(u => u.Job).ToList();
        if (queued.Count > 0 && await FollowAllAsync(api, queued, cancellationToken) is { } interrupted)
        {
            return interrupted;
        }
        return await SummariseAsync(uploads, queued);
    }

    /// <summary>A file of this run: the job followed when the Api queued one, else what became of the file.</summary>
    private sealed class FileUpload(LocalDocument document, FileJob job)
    {
        public LocalDocument Document { get; } = document;
        public FileJob Job { get; } = job;
        public UploadedDocument? Answer { get; set; }
        public string? Problem { get; set; }
        public bool Accepted => Answer is not null;
    }

    /// <returns>False when nothing more can be uploaded (access refused, Api unreachable).</returns>
    private async Task<bool> UploadAllAsync(ShieldApiClient api, List<FileUpload> uploads, UploadOptions options, CancellationToken cancellationToken)
    {
        var firstOf = new Dictionary<string, FileUpload>(StringComparer.Ordinal);
        foreach (var upload in uploads)
        {
            var document = upload.Document;
            try
            {
                var result = await UploadAsync(api, document, options, cancellationToken);
                var answer = result.Documents.Single();
                upload.Answer = answer;
                if (answer.Disposition == UploadDispositions.Queued && answer.JobId is { } jobId)
                {
                    upload.Job.Queued(jobId, answer.Chunks);
                }
                await Console.Out.WriteLineAsync($"{document.DisplayName}: {Describe(answer, firstOf.GetValueOrDefault(answer.DocumentId))}");
                firstOf.TryAdd(answer.DocumentId, upload);
            }
            catch (ShieldApiException ex) when (ex.IsAccessDenied)
            {
                await Console.Error.WriteLineAsync($"error: the API refused the upload of {document.DisplayName}:\n  {ex.Problem}");
                await Console.Error.WriteLineAsync($"Give the API key with --api-key or {ApiOptions.ApiKeyVariable}.");
                await ReportQueuedAsync(uploads);
                return false;
            }
            catch (ShieldApiException ex)
            {
                upload.Problem = ex.Problem.ToString();
                upload.Job.NotSubmitted(upload.Problem);
                await Console.Error.WriteLineAsync($"error: {document.DisplayName} was not accepted:\n  {ex.Problem}");
            }
            catch (ApiUnreachableException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                await ReportQueuedAsync(uploads);
                return false;
            }
        }
        return true;
    }

    /// <summary>A .txt, .md, .pdf or .docx as a file of a multipart upload; other text as a JSON text with the file's name.</summary>
    private static async Task<DocumentUploadResult> UploadAsync(ShieldApiClient api, LocalDocument document, UploadOptions options,
        CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(document.Path);
        if (document.Type is { } type)
        {
            var bytes = await File.ReadAllBytesAsync(document.Path, cancellationToken);
            return await api.UploadDocumentsAsync([new DocumentUpload(name, bytes, type.ContentType)], options, cancellationToken);
        }
        var text = await File.ReadAllTextAsync(document.Path, cancellationToken);
        return await api.UploadTextAsync(name, text, options, cancellationToken);
    }

    /// <summary>
    /// <c>queued doc-…, job … (3 chunks)</c>, <c>existing doc-… (processed, 3 chunks); nothing queued</c>, or
    /// <c>duplicate of a.md (doc-…); nothing queued</c> when an earlier file of this run had the same text.
    /// </summary>
    private static string Describe(UploadedDocument answer, FileUpload? earlier)
    {
        if (earlier is not null)
        {
            return $"{UploadDispositions.Duplicate} of {earlier.Document.DisplayName} ({answer.DocumentId}); nothing queued";
        }
        if (answer.Disposition == UploadDispositions.Queued)
        {
            return $"{UploadDispositions.Queued} {answer.DocumentId}, job {answer.JobId} ({Plural(answer.Chunks, "chunk")})";
        }
        var job = answer.JobId is { } id && answer.Status is not "processed" ? $", job {id}" : "";
        return $"{answer.Disposition} {answer.DocumentId} ({answer.Status}, {Plural(answer.Chunks, "chunk")}{job}); nothing queued";
    }

    private async Task ReportQueuedAsync(List<FileUpload> uploads)
    {
        foreach (var upload in uploads.Where(u => u.Job.JobId is not null))
        {
            await Console.Error.WriteLineAsync($"Already queued, still running: {upload.Document.DisplayName} (job {upload.Job.JobId}).");
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

    private async Task<int> SummariseAsync(List<FileUpload> uploads, List<FileJob> queued)
    {
        var known = uploads.Count(u => u.Accepted && u.Job.JobId is null);
        var knownText = known == 0 ? "" : $"; {Plural(known, "file")} already known, nothing queued for {(known == 1 ? "it" : "them")}";
        var unfinished = uploads.Where(u => !u.Accepted || (u.Job.JobId is not null && !u.Job.Completed)).ToList();
        if (unfinished.Count == 0)
        {
            await Console.Out.WriteLineAsync(queued.Count == 0
                ? $"Done: nothing to ingest{knownText}."
                : $"Done: {Plural(queued.Count, "job")} completed, {Plural(queued.Sum(j => j.Processed), "chunk")} processed{knownText}.");
            return ExitCodes.Success;
        }
        await Console.Error.WriteLineAsync($"{unfinished.Count} of {Plural(uploads.Count, "file")} did not complete:");
        foreach (var job in unfinished.Select(u => u.Job))
        {
            var id = job.JobId is null ? "" : $" (job {job.JobId})";
            var failed = job.Failed > 0 ? $", {job.Failed} of {Plural(job.Total, "chunk")} failed" : "";
            await Console.Error.WriteLineAsync($"  {job.DisplayName}{id}: {job.State}{failed}{(job.Error is null ? "" : ": " + job.Error)}");
        }
        return ExitCodes.Failure;
    }

    private static string Plural(int count, string noun) => $"{count:N0} {noun}{(count == 1 ? "" : "s")}";
}
