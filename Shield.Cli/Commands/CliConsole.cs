namespace Shield.Cli.Commands;

/// <summary>Where a command writes: results to <see cref="Out"/>, problems to <see cref="Error"/>; live redrawing only when <see cref="Interactive"/>.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool Interactive);
