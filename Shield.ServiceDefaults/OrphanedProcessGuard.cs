using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stops a service started by a local AppHost run once that run is gone: when the process that launched it (DCP starts
/// each project through <c>dotnet run</c>, whose pid is the one DCP tracks and stops) or the AppHost itself has exited.
/// </summary>
/// <remarks>
/// Without it, a <c>kill -9</c> of the launcher (or of the AppHost, whose DCP then stops only the launchers) leaves the
/// service running with parent pid 1. A Workers process left so kept taking chunks from every later run's queue that it
/// could not finish. The AppHost names itself in <see cref="AppHostProcessIdKey"/>; deployments, which set nothing,
/// are unaffected.
/// </remarks>
public sealed partial class OrphanedProcessGuard(
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<OrphanedProcessGuard> logger) : BackgroundService
{
    /// <summary>The AppHost's process id, set by the AppHost on the services it runs.</summary>
    public const string AppHostProcessIdKey = "Shield:Run:AppHostProcessId";

    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a graceful stop may take once the run is gone, before the process exits anyway.</summary>
    private static readonly TimeSpan GracefulStopLimit = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(configuration[AppHostProcessIdKey], out var appHostPid))
        {
            return;
        }
        var appHost = ProcessIdentity.Of(appHostPid);
        var launcher = ProcessIdentity.Parent();
        if (appHost is null)
        {
            LogGone("AppHost", appHostPid);
            await StopAsync();
            return;
        }

        using var timer = new PeriodicTimer(CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!appHost.IsAlive())
                {
                    LogGone("AppHost", appHost.Pid);
                }
                else if (launcher is not null && (ProcessIdentity.ParentPid() != launcher.Pid || !launcher.IsAlive()))
                {
                    LogGone("launcher", launcher.Pid);
                }
                else
                {
                    continue;
                }
                await StopAsync();
                return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task StopAsync()
    {
        lifetime.StopApplication();
        // The graceful stop has its own deadlines (a Workers process finishes what it holds); this is the backstop
        // for a stop that cannot finish because everything it would talk to went with the run.
        await Task.Delay(GracefulStopLimit, time, CancellationToken.None);
        LogForcedExit(GracefulStopLimit.TotalSeconds);
        Environment.Exit(3);
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Process} of this run (pid {Pid}) is gone; stopping, so that this process does not outlive its run")]
    private partial void LogGone(string process, int pid);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The graceful stop did not finish within {Seconds} s of the run ending; exiting")]
    private partial void LogForcedExit(double seconds);

    /// <summary>A process by pid and start time, so a reused pid is not mistaken for the process it replaced.</summary>
    private sealed record ProcessIdentity(int Pid, DateTime StartTime)
    {
        public static ProcessIdentity? Of(int pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                return new ProcessIdentity(pid, process.StartTime);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                return null;
            }
        }

        /// <summary>The launcher: this process's parent at start (only Unix can say; elsewhere the AppHost check remains).</summary>
        public static ProcessIdentity? Parent() => ParentPid() is var pid and > 1 ? Of(pid) : null;

        public static int ParentPid() => OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() ? getppid() : 0;

        public bool IsAlive() => Of(Pid) is { } now && now.StartTime == StartTime;

        [DllImport("libc", EntryPoint = "getppid")]
        private static extern int getppid();
    }
}

public static class OrphanedProcessGuardExtensions
{
    /// <summary>Adds <see cref="OrphanedProcessGuard"/>; it does nothing unless the AppHost named itself.</summary>
    public static IServiceCollection AddOrphanedProcessGuard(this IServiceCollection services)
    {
        services.AddHostedService<OrphanedProcessGuard>();
        return services;
    }
}
