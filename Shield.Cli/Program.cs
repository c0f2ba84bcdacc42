using System.Text;
using Shield.Cli;
using Shield.Cli.Commands;
using Shield.Cli.Progress;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the command cleanly; a second one ends the process at once.
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
};
Console.OutputEncoding = Encoding.UTF8;

var interactive = !Console.IsOutputRedirected
    && (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb"))
    && Environment.GetEnvironmentVariable("NO_COLOR") is null;
return await ShieldCli.RunAsync(args, new CliConsole(Console.Out, Console.Error, interactive), new FollowOptions(), interrupt.Token);
