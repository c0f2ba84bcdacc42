using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Shield.Api.Security;

namespace Shield.Tests.Infrastructure;

/// <summary>
/// Shield.Api's own Program in this process (WebApplicationFactory), on the stack's real Redis and PostgreSQL, with
/// settings of the test's choosing: for what the separate Api process cannot show a test (the endpoints it maps), or
/// a configuration the stack does not have (another environment, other keys).
/// </summary>
public sealed class InProcessApi(ShieldStackFixture stack, string environment, IReadOnlyDictionary<string, string?> settings)
    : WebApplicationFactory<ApiKeyStore>
{
    public static InProcessApi Start(ShieldStackFixture stack, IReadOnlyDictionary<string, string?>? settings = null, string environment = "Development") =>
        new(stack, environment, settings ?? new Dictionary<string, string?>());

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // Host configuration, so Program sees it while it builds (it reads connection strings and limits before Build()).
        builder.ConfigureHostConfiguration(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [HostDefaults.EnvironmentKey] = environment,
            ["ConnectionStrings:redis"] = stack.RedisConnectionString,
            ["ConnectionStrings:shield"] = stack.PostgresConnectionString,
        }.Concat(settings)));
        return base.CreateHost(builder);
    }

    /// <summary>Every message the Api logged, formatted.</summary>
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder
        .UseEnvironment(environment)
        .ConfigureLogging(logging => logging.AddProvider(Logs));
}

/// <summary>A logger provider that keeps what it is given, for tests to read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
