using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Shield.Cli.Progress;
using Shield.Documents;

namespace Shield.Cli.Commands.Documents;

/// <summary><c>shield documents list|show|delete</c>: the Api's documents (<c>/documents</c>), one file per subcommand.</summary>
public sealed class DocumentsCommand : Command
{
    public DocumentsCommand(CliConsole console, ApiOptions api, FollowOptions follow)
        : base("documents", "List, show and delete the documents Shield holds (what `shield ingest` uploaded).")
    {
        Subcommands.Add(new ListDocumentsCommand(console, api));
        Subcommands.Add(new ShowDocumentCommand(console, api));
        Subcommands.Add(new DeleteDocumentCommand(console, api, follow));
    }

    /// <summary>The <c>document_id</c> argument, refused before any request unless it is <c>doc-</c> and 32 hex digits.</summary>
    public static Argument<string> DocumentIdArgument()
    {
        var argument = new Argument<string>("document_id")
        {
            Description = "The document's id (doc- and 32 hex digits), as `shield ingest` and `shield documents list` print it",
        };
        argument.Validators.Add(Validate);
        return argument;
    }

    private static void Validate(ArgumentResult result)
    {
        if (result.Tokens.Count == 1 && result.Tokens[0].Value is var id && !DocumentIds.IsWellFormed(id))
        {
            result.AddError($"'{id}' is not a document id: document ids are doc- and 32 lower-case hexadecimal digits.");
        }
    }

    public static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
