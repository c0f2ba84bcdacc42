using System.Text.Json;
using Shield.Ingestion.Streams;
using StackExchange.Redis;

namespace Shield.Tests.Infrastructure;

/// <summary>What every bad request must leave behind: a problem document, and nothing recorded or queued.</summary>
public static class RejectedRequests
{
    /// <summary>
    /// Sends the request and asserts it is refused with <paramref name="expectedStatus"/> as a problem document, that no
    /// job (and no row of <paramref name="alsoUnchanged"/>) was recorded, and that the stream gained no entry of a job that
    /// did not exist before. Returns the problem document.
    /// </summary>
    public static async Task<JsonElement> AssertRejectedWithoutEffectAsync(this ShieldStackFixture stack, string name,
        Func<Task<HttpResponseMessage>> send, int expectedStatus, params string[] alsoUnchanged)
    {
        var db = stack.Redis.GetDatabase();
        // The stack is shared: earlier tests' jobs may still append to the stream (retries, finalisations) meanwhile.
        // What this request must not add is an entry of a job that did not exist before it.
        var lastEntry = (await db.StreamRangeAsync(IngestionStream.Key, "-", "+", count: 1, messageOrder: Order.Descending)) is [var last] ? last.Id.ToString() : "0-0";
        var tables = alsoUnchanged.Prepend("jobs").ToArray();
        var countsBefore = await CountsAsync(stack, tables);
        var knownJobs = await JobIdsAsync(stack);

        using var response = await send();
        var text = await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == expectedStatus, $"{name}: expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{name}: expected a problem document, got '{response.Content.Headers.ContentType}': {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(expectedStatus, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));

        var added = await db.StreamRangeAsync(IngestionStream.Key, "(" + lastEntry, "+");
        Assert.All(added, entry => Assert.Contains(entry["job_id"].ToString(), knownJobs));
        Assert.Equal(countsBefore, await CountsAsync(stack, tables));
        return problem;
    }

    private static async Task<long[]> CountsAsync(ShieldStackFixture stack, string[] tables) =>
        await Task.WhenAll(tables.Select(table => stack.ScalarAsync($"SELECT count(*) FROM {table}")));

    private static async Task<HashSet<string>> JobIdsAsync(ShieldStackFixture stack)
    {
        await using var connection = new Npgsql.NpgsqlConnection(stack.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT id::text FROM jobs", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }
}
