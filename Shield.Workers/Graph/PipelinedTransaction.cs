using Npgsql;

namespace Shield.Workers.Graph;

/// <summary>
/// A PostgreSQL transaction whose <c>BEGIN</c> travels with its first statements and whose <c>COMMIT</c> travels with
/// its last, so it costs no round trip of its own: a transaction of two batches is two round trips, and every round
/// trip is one Npgsql operation (what <c>db.client.operation.duration</c> counts). Disposed without
/// <see cref="CommitAsync"/>, it rolls back.
/// </summary>
public sealed class PipelinedTransaction(NpgsqlConnection connection) : IAsyncDisposable
{
    private bool _begun;
    private bool _ended;

    public NpgsqlConnection Connection => connection;

    /// <summary>
    /// Runs <paramref name="statements"/> in the transaction (beginning it if this is the first batch) and hands their
    /// results to <paramref name="read"/>, one result set per statement that returns rows.
    /// </summary>
    public async Task ReadAsync(Func<NpgsqlDataReader, Task> read, CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        await using var batch = Batch(statements, commit: false);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await read(reader);
    }

    /// <summary>Like <see cref="ReadAsync"/>, and commits in the same round trip (a transaction of one batch).</summary>
    public async Task ReadAndCommitAsync(Func<NpgsqlDataReader, Task> read, CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        await using var batch = Batch(statements, commit: true);
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            await read(reader);
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        _ended = true;
    }

    /// <summary>Runs <paramref name="statements"/> in the transaction, discarding their results.</summary>
    public async Task ExecuteAsync(CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        if (statements.Length == 0) return;
        await using var batch = Batch(statements, commit: false);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs <paramref name="statements"/> and commits, in one round trip.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken, params NpgsqlBatchCommand[] statements)
    {
        if (!_begun && statements.Length == 0)
        {
            _ended = true;
            return;
        }
        await using var batch = Batch(statements, commit: true);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        _ended = true;
    }

    private NpgsqlBatch Batch(IEnumerable<NpgsqlBatchCommand> statements, bool commit)
    {
        var batch = new NpgsqlBatch(connection);
        if (!_begun)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
            _begun = true;
        }
        foreach (var statement in statements) batch.BatchCommands.Add(statement);
        if (commit) batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_begun || _ended) return;
        _ended = true;
        try
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has no transaction left to roll back; the pool discards it.
        }
    }

    /// <summary>One statement with positional parameters ($1, $2, …).</summary>
    public static NpgsqlBatchCommand Statement(string sql, params object?[] args)
    {
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var arg in args)
        {
            statement.Parameters.Add(new NpgsqlParameter { Value = arg ?? DBNull.Value });
        }
        return statement;
    }
}
