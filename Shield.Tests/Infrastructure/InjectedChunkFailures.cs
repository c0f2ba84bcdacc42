using Npgsql;

namespace Shield.Tests.Infrastructure;

/// <summary>
/// Chunk failures made real by a PostgreSQL trigger that rejects chosen chunks: those whose text starts with
/// <see cref="Marker"/> are refused the first N times they are stored (a sequence counts the rejections, since it
/// survives the rollback). Disposing drops the trigger, its function and its sequence.
/// </summary>
public sealed class InjectedChunkFailures(ShieldStackFixture stack) : IAsyncDisposable
{
    public string Marker { get; } = "FAULT" + Guid.NewGuid().ToString("N")[..8];

    private string Name => "shield_test_" + Marker.ToLowerInvariant();

    /// <summary>Marked chunks are rejected the first <paramref name="failures"/> times they are stored.</summary>
    public Task RejectAsync(long failures) => ExecuteAsync($"""
        CREATE SEQUENCE {Name};
        CREATE FUNCTION {Name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.content LIKE '{Marker}%' AND nextval('{Name}') <= {failures} THEN
            RAISE EXCEPTION 'injected failure for %', NEW.id;
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER {Name} BEFORE INSERT ON chunks FOR EACH ROW EXECUTE FUNCTION {Name}();
        """);

    /// <summary>How many stores of marked chunks were attempted (rejected or, past the rejections, let through).</summary>
    public Task<long> AttemptsAsync() => stack.ScalarAsync($"SELECT last_value FROM {Name}");

    /// <summary>The dependency is fixed: marked chunks are stored from now on.</summary>
    public Task StopAsync() => ExecuteAsync($"DROP TRIGGER {Name} ON chunks;");

    public async ValueTask DisposeAsync() =>
        await ExecuteAsync($"DROP TRIGGER IF EXISTS {Name} ON chunks; DROP FUNCTION IF EXISTS {Name}(); DROP SEQUENCE IF EXISTS {Name};");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(stack.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
