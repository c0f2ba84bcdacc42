using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Rendering;
using Spectre.Console.Testing;

namespace Shield.Tests.Cli;

/// <summary>
/// A terminal for <c>shield</c>'s live view: Spectre.Console.Testing's <see cref="TestConsole"/>, interactive and
/// emitting ANSI as a real terminal is sent, with writes and reads serialised (Spectre redraws from its own thread
/// while a test reads what was drawn).
/// </summary>
public sealed partial class RecordingTerminal : IAnsiConsole, IDisposable
{
    private readonly TestConsole _console = new();
    private readonly Lock _lock = new();

    public RecordingTerminal(int width = 120)
    {
        _console.Interactive().EmitAnsiSequences().Width(width);
    }

    /// <summary>Everything sent to the terminal, escape sequences included.</summary>
    public string Output
    {
        get
        {
            lock (_lock) return _console.Output;
        }
    }

    /// <summary>
    /// The row last drawn for <paramref name="name"/> as a person reads it (styles and cursor movement left out), or
    /// "" when none has been drawn. Each redraw rewrites every row, so the last is what the screen shows.
    /// </summary>
    public string RowOf(string name) => Plain(StyledRowOf(name));

    /// <summary>The same row with its styles (<c>\e[38;5;9m</c> is red, <c>…;2m</c> green, <c>…;11m</c> yellow).</summary>
    public string StyledRowOf(string name) =>
        Output.Split('\n').LastOrDefault(line => Plain(line).Contains(name, StringComparison.Ordinal))?.TrimEnd('\r') ?? "";

    public static string Plain(string text) => Escape().Replace(text, "").Trim();

    [GeneratedRegex(@"\e\[[0-9;?]*[A-Za-z]")]
    private static partial Regex Escape();

    public Profile Profile => _console.Profile;
    public IAnsiConsoleCursor Cursor => _console.Cursor;
    public IAnsiConsoleInput Input => _console.Input;
    public IExclusivityMode ExclusivityMode => _console.ExclusivityMode;
    public RenderPipeline Pipeline => _console.Pipeline;

    public void Clear(bool home)
    {
        lock (_lock) _console.Clear(home);
    }

    public void Write(IRenderable renderable)
    {
        lock (_lock) _console.Write(renderable);
    }

    public void WriteAnsi(Action<AnsiWriter> action)
    {
        lock (_lock) _console.WriteAnsi(action);
    }

    public void Dispose() => _console.Dispose();
}
