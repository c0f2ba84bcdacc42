using System.CommandLine;
using System.Text;
using Shield.Cli.Api;
using Shield.Contracts.Documents;

namespace Shield.Cli.Commands.Documents;

/// <summary><c>shield documents list [--status S] [--limit N] [--cursor C]</c>: one page of documents, newest first, one line each.</summary>
public sealed class ListDocumentsCommand : ShieldCommand
{
    private readonly ApiOptions _api;

    private readonly Option<string?> _status = new("--status")
    {
        Description = "Only documents in this state: pending, processing, processed, failed or deleting",
        HelpName = "STATUS",
    };

    private readonly Option<int?> _limit = new("--limit")
    {
        Description = "Documents per page, 1 to 100 (the Api's default is 20)",
        HelpName = "N",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= 100)
            {
                return limit;
            }
            result.AddError($"--limit must be a whole number from 1 to 100, not '{text}'.");
            return null;
        },
    };

    private readonly Option<string?> _cursor = new("--cursor")
    {
        Description = "The next page: the cursor the previous page printed",
        HelpName = "CURSOR",
    };

    public ListDocumentsCommand(CliConsole console, ApiOptions api) : base("list",
        "List documents, newest first: id, state, chunks, last change and source name.", console)
    {
        _api = api;
        Options.Add(_status);
        Options.Add(_limit);
        Options.Add(_cursor);
    }

    protected override async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        using var api = new ShieldApiClient(_api.Resolve(parse));
        var status = parse.GetValue(_status);
        var limit = parse.GetValue(_limit);
        try
        {
            var page = await api.ListDocumentsAsync(status, limit, parse.GetValue(_cursor), cancellationToken);
            await Console.Out.WriteAsync(Describe(page, status));
            if (page.NextCursor is { } next)
            {
                var more = new StringBuilder("shield documents list");
                if (status is not null) more.Append(" --status ").Append(status);
                if (limit is not null) more.Append(" --limit ").Append(limit);
                await Console.Out.WriteLineAsync($"More: {more} --cursor {next}");
            }
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ApiErrors.IsApiError(ex))
        {
            return await ApiErrors.ReportAsync(Console.Error, ex);
        }
    }

    public static string Describe(DocumentList page, string? status)
    {
        if (page.Documents.Count == 0)
        {
            return status is null ? "No documents.\n" : $"No {status} documents.\n";
        }
        var text = new StringBuilder($"{"DOCUMENT",-37} {"STATUS",-10} {"CHUNKS",6}  {"UPDATED",-19}  SOURCE\n");
        foreach (var d in page.Documents)
        {
            text.Append($"{d.DocumentId,-37} {d.Status,-10} {d.ChunkCount,6}  {DocumentsCommand.Time(d.UpdatedAt),-19}  {d.SourceName}\n");
        }
        return text.ToString();
    }
}
