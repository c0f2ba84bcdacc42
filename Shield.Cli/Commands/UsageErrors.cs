using System.CommandLine;
using System.CommandLine.Parsing;

namespace Shield.Cli.Commands;

/// <summary>How a wrong command line is reported: one <c>error:</c> line per problem and where help is, all on stderr.</summary>
public static class UsageErrors
{
    public static async Task WriteAsync(TextWriter error, ParseResult parse, IEnumerable<string> messages)
    {
        foreach (var message in messages)
        {
            await error.WriteLineAsync($"error: {message}");
        }
        await error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
    }

    /// <summary><c>shield ingest</c>: the names from the root down to the command the line reached.</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is CommandResult { Command: var c }; result = result.Parent)
        {
            names.Add(c is RootCommand ? ShieldCli.Name : c.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
