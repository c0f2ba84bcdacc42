using System.Text;
using Shield.Cli;
using Shield.Cli.Commands;
using Shield.Cli.Progress;
using Spectre.Console;

namespace Shield.Tests.Cli;

/// <summary>What one in-process run of <c>shield</c> wrote and returned.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

public static class CliRun
{
    /// <summary>With the output redirected: plain lines.</summary>
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(terminal: null, args);

    /// <summary>On a terminal: the live view draws on <paramref name="terminal"/>; the other lines go to the result.</summary>
    public static Task<CliResult> RunInTerminalAsync(IAnsiConsole terminal, params string[] args) => RunAsync(terminal, args);

    private static async Task<CliResult> RunAsync(IAnsiConsole? terminal, string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = new CapturedWriter();
        var error = new CapturedWriter();
        var exit = await ShieldCli.RunAsync(args, new CliConsole(output, error, terminal), new FollowOptions(), timeout.Token);
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}

/// <summary>A StringWriter that can be read while another task writes to it.</summary>
public sealed class CapturedWriter : StringWriter
{
    private readonly Lock _lock = new();

    public override void Write(char value)
    {
        lock (_lock) base.Write(value);
    }

    public override void Write(string? value)
    {
        lock (_lock) base.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock) base.Write(buffer, index, count);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_lock) base.Write(buffer);
    }

    public override void WriteLine(ReadOnlySpan<char> buffer)
    {
        lock (_lock) base.WriteLine(buffer);
    }

    public override void WriteLine(string? value)
    {
        lock (_lock) base.WriteLine(value);
    }

    public override string ToString()
    {
        lock (_lock) return base.ToString();
    }

    public override Encoding Encoding => Encoding.UTF8;
}
