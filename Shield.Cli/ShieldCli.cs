using Shield.Cli.Commands;
using Shield.Cli.Progress;

namespace Shield.Cli;

/// <summary>The <c>shield</c> command line, callable in process (the tests do) as well as from <c>Program</c>.</summary>
public static class ShieldCli
{
    public const string Usage = """
        shield: feed documents to Shield and follow its jobs.

        Usage:
          shield ingest <files or folders>... [--api URL] [--api-key KEY] [--source-type TYPE]
          shield status <job_id> [--api URL] [--api-key KEY]
          shield watch [--job JOB_ID] [--api URL] [--api-key KEY]

        The API defaults to $SHIELD_API, else http://localhost:8000; the key to $SHIELD_API_KEY.
        `shield <command> --help` describes a command.
        """;

    /// <summary>Runs one command; plain output (no redrawing), as when the output is not a terminal.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken) =>
        RunAsync(args, new CliConsole(output, error, Interactive: false), new FollowOptions(), cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliConsole console, FollowOptions follow, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await (args.Length == 0 ? console.Error : console.Out).WriteLineAsync(Usage);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }

        var command = args[0];
        var rest = args.Skip(1);
        try
        {
            switch (command)
            {
                case IngestCommand.Name:
                    {
                        var line = CommandLine.Parse(rest, command, ApiOptions.ApiOption, ApiOptions.ApiKeyOption, IngestCommand.SourceTypeOption);
                        return line.Help ? await HelpAsync(console, IngestCommand.Usage) : await new IngestCommand(console, follow).RunAsync(line, cancellationToken);
                    }
                case StatusCommand.Name:
                    {
                        var line = CommandLine.Parse(rest, command, ApiOptions.ApiOption, ApiOptions.ApiKeyOption);
                        return line.Help ? await HelpAsync(console, StatusCommand.Usage) : await new StatusCommand(console).RunAsync(line, cancellationToken);
                    }
                case WatchCommand.Name:
                    {
                        var line = CommandLine.Parse(rest, command, ApiOptions.ApiOption, ApiOptions.ApiKeyOption, WatchCommand.JobOption);
                        return line.Help ? await HelpAsync(console, WatchCommand.Usage) : await new WatchCommand(console).RunAsync(line, cancellationToken);
                    }
                default:
                    throw new CommandLineException($"Unknown command '{command}'.");
            }
        }
        catch (CommandLineException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}");
            await console.Error.WriteLineAsync("Run `shield --help` for usage.");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    private static async Task<int> HelpAsync(CliConsole console, string usage)
    {
        await console.Out.WriteLineAsync(usage);
        return ExitCodes.Success;
    }
}
