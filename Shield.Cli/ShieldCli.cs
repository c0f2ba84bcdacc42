using System.CommandLine;
using Shield.Cli.Commands;
using Shield.Cli.Commands.Documents;
using Shield.Cli.Progress;

namespace Shield.Cli;

/// <summary>The <c>shield</c> command line, callable in process (the tests do) as well as from <c>Program</c>.</summary>
public static class ShieldCli
{
    public const string Name = "shield";

    private const string Description = """
        Feed documents to Shield, follow its jobs, and manage its documents.

        Exit codes: 0 done, 1 a job did not complete or the API refused or could not be reached,
        2 a wrong command line, 130 interrupted (Ctrl+C).
        """;

    /// <summary>
    /// Every command, each in its own file under <c>Commands/</c>: a command is added by writing its
    /// <see cref="ShieldCommand"/> and listing it here.
    /// </summary>
    public static RootCommand CreateCommand(CliConsole console, FollowOptions follow)
    {
        var api = new ApiOptions();
        return new RootCommand(Description)
        {
            HelpName = Name,
            Options = { api.Url, api.Key },
            Subcommands =
            {
                new IngestCommand(console, api, follow),
                new StatusCommand(console, api),
                new WatchCommand(console, api),
                new DocumentsCommand(console, api, follow),
            },
        };
    }

    /// <summary>Runs one command; plain output (no redrawing), as when the output is not a terminal.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(args, new CliConsole(output, error), new FollowOptions(), cancellationToken);

    /// <param name="processTermination">
    /// How long a command may take to stop after Ctrl+C or SIGTERM before the process exits 130 anyway; null (in
    /// process) leaves signals alone and stops only on <paramref name="cancellationToken"/>.
    /// </param>
    public static async Task<int> RunAsync(
        string[] args, CliConsole console, FollowOptions follow, CancellationToken cancellationToken, TimeSpan? processTermination = null)
    {
        var parse = CreateCommand(console, follow).Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            await UsageErrors.WriteAsync(console.Error, parse, parse.Errors.Select(e => e.Message));
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            ProcessTerminationTimeout = processTermination,
        }, cancellationToken);
    }
}
