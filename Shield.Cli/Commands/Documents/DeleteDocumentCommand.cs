using System.CommandLine;
using Shield.Cli.Api;
using Shield.Cli.Progress;
using Shield.Contracts.Documents;
using Shield.Contracts.Jobs;

namespace Shield.Cli.Commands.Documents;

/// <summary>
/// <c>shield documents delete &lt;document_id&gt; [--wait]</c>: asks the Api to delete the document (a deletion job
/// removes its chunks and what they contributed to the graph); with <c>--wait</c>, follows that job and waits until
/// the document is gone. Exit 0 when the deletion was queued (with <c>--wait</c>: when the document is gone).
/// </summary>
public sealed class DeleteDocumentCommand : ShieldCommand
{
    private readonly ApiOptions _api;
    private readonly FollowOptions _follow;
    private readonly Argument<string> _documentId = DocumentsCommand.DocumentIdArgument();

    private readonly Option<bool> _wait = new("--wait")
    {
        Description = "Follow the deletion job and wait until the document is gone",
    };

    public DeleteDocumentCommand(CliConsole console, ApiOptions api, FollowOptions follow) : base("delete",
        "Delete a document and what it contributed to the knowledge base. Exit code 0 once the deletion is queued, " +
        "or with --wait once the document is gone.", console)
    {
        _api = api;
        _follow = follow;
        Arguments.Add(_documentId);
        Options.Add(_wait);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var documentId = parse.GetRequiredValue(_documentId);
        using var api = new ShieldApiClient(_api.Resolve(parse));
        DocumentDeletionAccepted accepted;
        try
        {
            accepted = await api.DeleteDocumentAsync(documentId, cancellationToken);
        }
        catch (Exception ex) when (ApiErrors.IsApiError(ex))
        {
            return await ApiErrors.ReportAsync(Console.Error, ex);
        }
        await Console.Out.WriteLineAsync($"{documentId}: {accepted.Status}, job {accepted.JobId}");
        if (!parse.GetValue(_wait))
        {
            await Console.Out.WriteLineAsync($"Follow it with `shield status {accepted.JobId}`; the document is gone when the job has completed.");
            return ExitCodes.Success;
        }

        var job = new FileJob(documentId, 0) { JobId = accepted.JobId };
        await using (var view = new StateLines(Console.Out))
        {
            await new JobFollower(api, view, _follow).FollowAsync(job, cancellationToken);
        }
        if (!job.Completed)
        {
            await Console.Error.WriteLineAsync($"error: the deletion of {documentId} (job {accepted.JobId}) ended {job.State}" +
                (job.Error is null ? "." : $": {job.Error}"));
            return ExitCodes.Failure;
        }
        return await WaitUntilGoneAsync(api, documentId, cancellationToken);
    }

    /// <summary>The Workers drop the document's row just after its deletion job has ended: wait for the 404.</summary>
    private async Task<int> WaitUntilGoneAsync(ShieldApiClient api, string documentId, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                var document = await api.GetDocumentAsync(documentId, cancellationToken);
                if (document.Status != "deleting")
                {
                    await Console.Error.WriteLineAsync($"error: {documentId} is {document.Status} after its deletion: {document.Error ?? "no error given"}");
                    return ExitCodes.Failure;
                }
            }
            catch (ShieldApiException ex) when (ex.Status == 404)
            {
                await Console.Out.WriteLineAsync($"Deleted {documentId}.");
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is ApiUnreachableException or ShieldApiException && ++failures < _follow.MaxPollFailures)
            {
                // A passing outage: ask again.
            }
            catch (Exception ex) when (ApiErrors.IsApiError(ex))
            {
                return await ApiErrors.ReportAsync(Console.Error, ex);
            }
            await Task.Delay(_follow.PollInterval, _follow.Time, cancellationToken);
        }
    }

    /// <summary>The deletion job's states, one line each (a deletion has no chunks to count).</summary>
    private sealed class StateLines(TextWriter output) : IProgressView
    {
        private readonly Lock _lock = new();
        private string? _last;

        public void Changed(FileJob job)
        {
            lock (_lock)
            {
                if (job.State == _last) return;
                _last = job.State;
                output.WriteLine($"{job.DisplayName}: deletion {job.State}{(job.Error is null || job.State == JobStatus.Completed ? "" : ": " + job.Error)}");
            }
        }

        public void Note(string message)
        {
            lock (_lock) output.WriteLine(message);
        }

        public Task CompleteAsync() => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
