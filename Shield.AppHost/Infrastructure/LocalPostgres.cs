using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Shield.AppHost.Infrastructure;

/// <summary>
/// A host PostgreSQL server started through <c>local-postgres.sh</c>, which execs into the postmaster so
/// stopping the resource stops the database. Connection strings match Aspire's PostgresServerResource.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";
    public const string UserName = "postgres";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    internal List<LocalPostgresDatabaseResource> Databases { get; } = [];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter}");
}

/// <summary>A database on <see cref="LocalPostgresServerResource"/>; the launcher creates it before accepting connections.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

internal static class LocalPostgresExtensions
{
    private const string LauncherScript = "local-postgres.sh";

    /// <summary>
    /// Adds a PostgreSQL server whose data lives in <c>&lt;dataDirectory&gt;/postgres</c>.
    /// </summary>
    /// <remarks>
    /// PostgreSQL refuses to run as root, and CI runs as root; the launcher then drops to the
    /// <c>postgres</c> user (or <c>nobody</c>). That user must be able to traverse every directory above
    /// the data directory (o+x), which is true for /work, /home/&lt;user&gt; on most distributions and /tmp;
    /// the launcher fails with the offending path when it is not.
    /// </remarks>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, LocalPrograms programs, string dataDirectory)
    {
        var script = Path.Combine(builder.AppHostDirectory, "Infrastructure", LauncherScript);
        if (!File.Exists(script))
        {
            throw new DistributedApplicationException($"PostgreSQL launcher missing: {script}");
        }

        // Same name (and user-secrets key) as AddPostgres' generated password, so both modes share one value.
        var password = builder.AddParameter(
            $"{name}-password",
            new GenerateParameterDefault { MinLength = 22, Special = false },
            secret: true,
            persist: true);

        var settings = PostgresServerSettings.CommandLineFrom(builder.Configuration);
        var server = new LocalPostgresServerResource(name, programs.Bash!, dataDirectory, password.Resource);
        var configuredPort = builder.Configuration.GetValue<int?>(ShieldConfigKeys.PostgresPort);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
        {
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"ConnectionStringAvailableEvent was published for '{name}' but the connection string was null.");
        });

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"),
            name: healthCheckKey,
            // Without a database Npgsql would pick one named after the user; say which one explicitly.
            configure: connection => connection.ConnectionString += ";Database=postgres");

        return builder.AddResource(server)
            .WithEndpoint(port: configuredPort, name: LocalPostgresServerResource.PrimaryEndpointName, scheme: "tcp", isProxied: true)
            .WithArgs(context =>
            {
                context.Args.Add(script);
                context.Args.Add(Path.Combine(dataDirectory, "postgres"));
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add(string.Join(',', server.Databases.Select(d => d.DatabaseName)));
                foreach (var option in settings) context.Args.Add(option);
            })
            // The password travels in the environment: argv is world-readable through ps and /proc.
            .WithEnvironment("SHIELD_PG_PASSWORD", password)
            // The folder the AppHost checked before starting anything, so the launcher cannot pick another.
            .WithEnvironment("SHIELD_PG_BIN", programs.PostgresBin!)
            .WithIconName("DatabaseMultiple")
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> builder, string name, string? databaseName = null)
    {
        var appBuilder = builder.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Databases.Add(database);

        string? connectionString = null;
        appBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, ct) =>
        {
            connectionString = await database.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new DistributedApplicationException($"ConnectionStringAvailableEvent was published for '{name}' but the connection string was null.");
        });

        // Connecting to the database itself proves both that the server is up and that the launcher created it.
        var healthCheckKey = $"{name}_check";
        appBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"),
            name: healthCheckKey);

        // Aspire copies a container's state onto its child resources, but not an executable's; without this
        // the database would never leave "not started", its health check would never run, and WaitFor would hang.
        appBuilder.Eventing.Subscribe<InitializeResourceEvent>(database, (e, eventCancellation) =>
        {
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = MirrorParentStateAsync(e.Notifications, database, stopping);
            return Task.CompletedTask;
        });

        return appBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .WithIconName("Database")
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }

    private static async Task MirrorParentStateAsync(
        ResourceNotificationService notifications, LocalPostgresDatabaseResource database, CancellationToken cancellationToken)
    {
        string? lastState = null;
        try
        {
            await foreach (var update in notifications.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                // Health reports re-publish the parent often; only state transitions matter to the child.
                if (!ReferenceEquals(update.Resource, database.Parent) || update.Snapshot.State?.Text == lastState)
                {
                    continue;
                }

                var snapshot = update.Snapshot;
                lastState = snapshot.State?.Text;
                await notifications.PublishUpdateAsync(database, s => s with
                {
                    State = snapshot.State,
                    StartTimeStamp = snapshot.StartTimeStamp,
                    StopTimeStamp = snapshot.StopTimeStamp,
                }).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The AppHost is shutting down.
        }
    }
}
