using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Shield.Ingestion.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running service or database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ShieldDbContext>
{
    public ShieldDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ShieldDbContext>()
            .UseNpgsql("Host=localhost;Database=shield")
            .Options);
}
