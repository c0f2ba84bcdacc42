using System.CommandLine;
using System.Text;
using Shield.Cli.Api;
using Shield.Contracts.Documents;

namespace Shield.Cli.Commands.Documents;

/// <summary><c>shield documents show &lt;document_id&gt;</c>: the document's state, size, chunks, error and jobs. Exit 0 when it exists.</summary>
public sealed class ShowDocumentCommand : ShieldCommand
{
    private readonly ApiOptions _api;
    private readonly Argument<string> _documentId = DocumentsCommand.DocumentIdArgument();

    public ShowDocumentCommand(CliConsole console, ApiOptions api) : base("show",
        "Print a document's state, source, size, chunks, error and jobs. Exit code 0 if the document exists.", console)
    {
        _api = api;
        Arguments.Add(_documentId);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        using var api = new ShieldApiClient(_api.Resolve(parse));
        try
        {
            await Console.Out.WriteAsync(Describe(await api.GetDocumentAsync(parse.GetRequiredValue(_documentId), cancellationToken)));
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ApiErrors.IsApiError(ex))
        {
            return await ApiErrors.ReportAsync(Console.Error, ex);
        }
    }

    public static string Describe(DocumentView d)
    {
        var lines = new List<(string, string)>
        {
            ("document", d.DocumentId),
            ("state", d.Status),
            ("source", $"{d.SourceName} ({d.ContentType}, {d.SizeBytes:N0} bytes)"),
            ("text", $"{d.ContentLength:N0} characters: {Summary(d.ContentSummary, d.ContentLength)}"),
            ("chunks", d.ChunkCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
            ("created", DocumentsCommand.Time(d.CreatedAt)),
            ("updated", DocumentsCommand.Time(d.UpdatedAt)),
            ("error", d.Error ?? "none"),
        };
        var text = new StringBuilder(string.Concat(lines.Select(l => $"{l.Item1 + ":",-10}{l.Item2}\n")));
        for (var i = 0; i < d.Jobs.Count; i++)
        {
            var job = d.Jobs[i];
            text.Append($"{(i == 0 ? "jobs:" : ""),-10}{job.Kind,-7} {job.JobId}  {DocumentsCommand.Time(job.CreatedAt)}\n");
        }
        return text.ToString();
    }

    /// <summary>The start of the text on one line, quoted, with an ellipsis when there is more.</summary>
    private static string Summary(string summary, int length)
    {
        var line = string.Join(' ', summary.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return $"\"{line}{(length > summary.Length ? "…" : "")}\"";
    }
}
