using Microsoft.Extensions.Configuration;
using Shield.AppHost.Infrastructure;

namespace Shield.Tests.AppHost;

/// <summary>The PostgreSQL settings the AppHost starts its servers with, and how configuration changes them.</summary>
public sealed class PostgresServerSettingsTests
{
    [Fact]
    public void Configuration_changes_a_default_in_place_and_adds_settings_after_them()
    {
        var options = PostgresServerSettings.CommandLineFrom(Configuration(
            ("Shield:PostgresSettings:shared_buffers", "512MB"), ("Shield:PostgresSettings:work_mem", "16MB")));

        Assert.Equal(["-c", "shared_buffers=512MB", "-c", "max_wal_size=4GB", "-c", "checkpoint_timeout=15min", "-c", "wal_compression=on",
            "-c", "work_mem=16MB"], options);
    }

    [Theory]
    [InlineData("max wal size", "4GB")]
    [InlineData("max_wal_size", "4 GB")]
    [InlineData("max_wal_size", "")]
    public void A_setting_postgres_would_not_read_stops_the_apphost_with_its_name(string name, string value)
    {
        var error = Assert.Throws<SetupProblemException>(() =>
            PostgresServerSettings.CommandLineFrom(Configuration(($"Shield:PostgresSettings:{name}", value))));

        Assert.Contains($"Shield:PostgresSettings:{name}", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
