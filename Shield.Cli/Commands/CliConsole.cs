using Spectre.Console;

namespace Shield.Cli.Commands;

/// <summary>
/// Where a command writes: results to <see cref="Out"/>, problems to <see cref="Error"/>. <see cref="Terminal"/> is
/// set when the output is a terminal that can be redrawn (live progress bars); without it, output is plain lines.
/// </summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, IAnsiConsole? Terminal = null)
{
    /// <summary>
    /// The process's own console: live only on a terminal, not when the output is redirected, <c>TERM</c> is unset or
    /// <c>dumb</c>, or <c>NO_COLOR</c> is set.
    /// </summary>
    public static CliConsole ForProcess()
    {
        var live = !Console.IsOutputRedirected
            && (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb"))
            && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        var terminal = live
            ? AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.Yes,
                Interactive = InteractionSupport.Yes,
                ColorSystem = ColorSystemSupport.Detect,
                Out = new AnsiConsoleOutput(Console.Out),
            })
            : null;
        return new CliConsole(Console.Out, Console.Error, terminal);
    }
}
