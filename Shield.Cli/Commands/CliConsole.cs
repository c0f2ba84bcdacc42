namespace Shield.Cli.Commands;

/// <summary>Where a command writes: results to <see cref="Out"/>, problems to <see cref="Error"/>; live redrawing only when <see cref="Interactive"/>.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool Interactive = false)
{
    /// <summary>
    /// The process's own console: live only on a terminal, not when the output is redirected, <c>TERM</c> is unset or
    /// <c>dumb</c>, or <c>NO_COLOR</c> is set.
    /// </summary>
    public static CliConsole ForProcess() => new(Console.Out, Console.Error,
        Interactive: !Console.IsOutputRedirected
            && (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb"))
            && Environment.GetEnvironmentVariable("NO_COLOR") is null);
}
