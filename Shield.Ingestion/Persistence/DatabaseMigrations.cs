using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Shield.Ingestion.Persistence;

public static class DatabaseMigrations
{
    /// <summary>Any constant works; it only has to be the same in every process that migrates.</summary>
    private const long MigrationLockKey = 0x5348_4945_4c44; // "SHIELD"

    /// <summary>
    /// Applies pending EF Core migrations. Api and every Workers replica call this at start, so a PostgreSQL
    /// advisory lock makes them take turns instead of racing on the same DDL.
    /// </summary>
    public static async Task MigrateShieldDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShieldDbContext>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_lock({0})", [MigrationLockKey], cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_unlock({0})", [MigrationLockKey], CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }
}
