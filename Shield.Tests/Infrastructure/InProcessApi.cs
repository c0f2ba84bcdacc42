using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
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

    protected override void ConfigureWebHost(IWebHostBuilder builder) => builder.UseEnvironment(environment);
}
