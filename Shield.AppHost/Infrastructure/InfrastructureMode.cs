using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Shield.AppHost.Infrastructure;

/// <summary>How Redis, PostgreSQL, Qdrant and Ollama are provided to the services.</summary>
public enum InfrastructureMode
{
    /// <summary>Official container images, managed by DCP through Docker or Podman.</summary>
    Containers,

    /// <summary>Host binaries (redis-server, postgres) run as executables; for machines without a container runtime.</summary>
    Local,
}

/// <summary>The chosen mode and a human-readable reason, logged once at start-up.</summary>
public sealed record InfrastructureDecision(InfrastructureMode Mode, string Reason)
{
    public override string ToString() => Mode switch
    {
        InfrastructureMode.Containers => $"Shield infrastructure: containers ({Reason})",
        _ => $"Shield infrastructure: local executables ({Reason})",
    };

    /// <summary>
    /// Decides the mode. DCP has no switch to turn containers off and, with no runtime, a container
    /// resource sits in RuntimeUnhealthy forever (and everything that waits for it waits too), so the
    /// decision has to be made here, before any container resource enters the model.
    /// </summary>
    public static InfrastructureDecision Resolve(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            // Deployment targets run containers; host binaries are a development convenience only.
            return new(InfrastructureMode.Containers, "publish mode always describes containers");
        }

        var configured = builder.Configuration[ShieldConfigKeys.Infrastructure]?.Trim();
        switch (configured?.ToLowerInvariant())
        {
            case null or "" or "auto":
                break;
            case "containers" or "container":
                return new(InfrastructureMode.Containers, $"{ShieldConfigKeys.Infrastructure}={configured}");
            case "local":
                return new(InfrastructureMode.Local, $"{ShieldConfigKeys.Infrastructure}={configured}");
            default:
                throw new SetupProblemException(
                    $"Unknown {ShieldConfigKeys.Infrastructure} value '{configured}': use auto, containers or local.");
        }

        var probe = ContainerRuntimeProbe.Detect();
        return probe.Available
            ? new(InfrastructureMode.Containers, $"{probe.Detail}; set {ShieldConfigKeys.Infrastructure}=local to use host binaries")
            : new(InfrastructureMode.Local, $"no container runtime: {probe.Detail}; set {ShieldConfigKeys.Infrastructure}=containers to force");
    }
}

/// <summary>
/// Asks the docker (then podman) CLI whether its engine answers. Only the CLI being on PATH
/// proves nothing: here the docker client exists while its daemon does not.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public static (bool Available, string Detail) Detect()
    {
        var failures = new List<string>();
        foreach (var cli in new[] { "docker", "podman" })
        {
            var (ok, detail) = Probe(cli);
            if (ok)
            {
                return (true, detail);
            }

            failures.Add(detail);
        }

        return (false, string.Join("; ", failures));
    }

    private static (bool Ok, string Detail) Probe(string cli)
    {
        var startInfo = new ProcessStartInfo(cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("info");
        startInfo.ArgumentList.Add("--format");
        startInfo.ArgumentList.Add("{{.ServerVersion}}"); // podman answers the same template with its version

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new Win32Exception("process did not start");
        }
        catch (Win32Exception)
        {
            return (false, $"{cli} not found");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the timeout and the kill.
                }

                return (false, $"{cli} info timed out after {Timeout.TotalSeconds:0} s");
            }

            var version = stdout.Result.Trim();
            if (process.ExitCode == 0 && version.Length > 0)
            {
                return (true, $"{cli} engine {version} answered");
            }

            var error = FirstLine(stderr.Result) ?? FirstLine(stdout.Result) ?? $"exit code {process.ExitCode}";
            return (false, $"{cli} info failed: {error}");
        }
    }

    private static string? FirstLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
