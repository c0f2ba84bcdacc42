using Npgsql;

namespace Shield.Workers.Graph;

/// <summary>
/// A PostgreSQL transaction whose <c>BEGIN</c> travels with its first statements and whose <c>COMMIT</c> travels with
/// its last, so it costs no round trip of its own: a transaction of two batches is two round trips, and every round
/// trip is one Npgsql operation (what <c>db.client.operation.duration</c> counts). Disposed without
/// <see cref="CommitAsync"/>, it rolls back.
/// </summary>
/// <remarks>
/// Every statement of the graph reads or writes the rows of given keys, so the transaction asks the planner for keyed
/// plans (<see cref="KeyedPlans"/>): with its estimates (an unnested batch, a frequent entity's rows counted by the
/// average) PostgreSQL would otherwise often read a whole table or a whole element by hash join, sequential scan or
/// bitmap, at a cost that grows with the knowledge base while the batch's locks are held, and compile it with JIT
/// (hundreds of milliseconds for a statement that runs in a few).
/// </remarks>
/// <param name="asynchronousCommit">
/// Commit without waiting for the WAL flush (<c>synchronous_commit = off</c>), so the transaction's locks are not held
/// through a disk flush. Only for a transaction whose durability a later synchronous commit of the same caller seals
/// (PostgreSQL flushes the WAL in order, so that commit flushes this one's too): a chunk's merge, sealed by the chunk's
/// processed mark, which comes before its outcome is recorded.
/// </param>
public sealed class PipelinedTransaction(NpgsqlConnection connection, bool asynchronousCommit = false) : IAsyncDisposable
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
            batch.BatchCommands.Add(new NpgsqlBatchCommand(KeyedPlans));
            if (asynchronousCommit) batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = off"));
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

    /// <summary>
    /// The planner settings of the transaction (SET LOCAL: they end with it): no JIT, and index lookups key by key
    /// rather than sequential scans, bitmap scans or hash and merge joins (priced out, not forbidden: a statement with no
    /// index to use still runs). No result set, so readers see only their statements'.
    /// </summary>
    public const string KeyedPlans = """
        DO $$BEGIN
          PERFORM set_config('jit', 'off', true);
          PERFORM set_config('enable_seqscan', 'off', true);
          PERFORM set_config('enable_bitmapscan', 'off', true);
          PERFORM set_config('enable_hashjoin', 'off', true);
          PERFORM set_config('enable_mergejoin', 'off', true);
        END$$
        """;

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
