using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;
using StackExchange.Redis;

namespace Shield.Tests.Infrastructure;

/// <summary>
/// A job store against the stack's real Redis and PostgreSQL that works in a Redis database of its own (emptied
/// first), where no worker reads: the test alone decides when chunks finish, on the clock it passes.
/// </summary>
public sealed class IsolatedJobStore : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;

    private IsolatedJobStore(ConnectionMultiplexer redis, ShieldDbContext db, TimeProvider clock)
    {
        _redis = redis;
        Db = db;
        Store = new JobStore(redis, db, clock, NullLogger<JobStore>.Instance);
    }

    public JobStore Store { get; }

    public ShieldDbContext Db { get; }

    public IDatabase Redis => _redis.GetDatabase();

    /// <param name="database">A Redis database no other test class uses (the workers read database 0).</param>
    public static async Task<IsolatedJobStore> CreateAsync(ShieldStackFixture stack, int database, TimeProvider clock)
    {
        var redis = await ConnectionMultiplexer.ConnectAsync($"{stack.RedisConnectionString},defaultDatabase={database},allowAdmin=true");
        await redis.GetServers()[0].FlushDatabaseAsync(database);
        var db = new ShieldDbContext(new DbContextOptionsBuilder<ShieldDbContext>().UseNpgsql(stack.PostgresConnectionString).Options);
        return new IsolatedJobStore(redis, db, clock);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
