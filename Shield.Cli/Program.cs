using System.Text;
using Shield.Cli;
using Shield.Cli.Commands;
using Shield.Cli.Progress;

Console.OutputEncoding = Encoding.UTF8;

// System.CommandLine turns Ctrl+C and SIGTERM into cancellation; a command that has not stopped two seconds later
// is abandoned with exit code 130.
return await ShieldCli.RunAsync(args, CliConsole.ForProcess(), new FollowOptions(), CancellationToken.None,
    processTermination: TimeSpan.FromSeconds(2));
