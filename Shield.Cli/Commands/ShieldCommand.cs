using System.CommandLine;

namespace Shield.Cli.Commands;

/// <summary>
/// A <c>shield</c> command: its arguments and options are declared in its constructor, its work is
/// <see cref="RunAsync"/>. Usage errors found while running (<see cref="UsageException"/>) exit 2 like the parser's
/// own, and Ctrl+C exits 130, for every command alike.
/// </summary>
public abstract class ShieldCommand : Command
{
    protected ShieldCommand(string name, string description, CliConsole console) : base(name, description)
    {
        Console = console;
        SetAction(InvokeAsync);
    }

    protected CliConsole Console { get; }

    /// <returns>The exit code (<see cref="ExitCodes"/>).</returns>
    protected abstract Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken);

    private async Task<int> InvokeAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(parse, cancellationToken);
        }
        catch (UsageException ex)
        {
            await UsageErrors.WriteAsync(Console.Error, parse, [ex.Message]);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Interrupted.");
            return ExitCodes.Interrupted;
        }
    }
}
