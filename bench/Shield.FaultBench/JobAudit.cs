using System.Text.Json;
using Shield.Ingestion.Events;
using Shield.Ingestion.Streams;

namespace Shield.FaultBench;

/// <summary>
/// The figures a fault run is judged by, counted as Shield.Tests' <c>Resilience/JobAudit</c> counts them: the job's
/// counters, its dead-letter entries and progress events in Redis, and its chunk and vector rows in PostgreSQL.
/// </summary>
/// <param name="Processed">Distinct chunks processed: the job's counter, but never more than the chunk rows behind it.</param>
/// <param name="DeadLettered">Distinct chunks (by chunk index) with an entry for the job in the dead-letter stream.</param>
/// <param name="Lost">Accepted chunks neither processed nor dead-lettered.</param>
/// <param name="Duplicated">Outcomes, rows and vectors beyond one per chunk, and dead-letter entries beyond one per chunk.</param>
public sealed record JobAudit(string Status, int Accepted, int Processed, int DeadLettered, int Lost, int Duplicated)
{
    /// <summary>The field of a queue (and dead-letter) entry holding the chunk's position in the submission (see ChunkMessage).</summary>
    private const string ChunkIndexField = "chunk_index";

    public bool Finished => Status is "completed" or "failed";

    public static async Task<JobAudit> OfAsync(BenchStack stack, string jobId)
    {
        var job = JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement;
        var accepted = job.GetProperty("chunks_total").GetInt32();
        var processedCounter = job.GetProperty("chunks_processed").GetInt32();
        var db = stack.Redis.GetDatabase();
        var deadLetterEntries = (await db.StreamRangeAsync(IngestionStream.DeadLetterKey)).Where(e => e["job_id"] == jobId).ToList();
        var deadLettered = deadLetterEntries.Select(e => e[ChunkIndexField].ToString()).Distinct().Count();
        var progressEvents = (await db.StreamRangeAsync(EventStream.Key))
            .Count(e => e[EventStream.JobField] == jobId && e[EventStream.TypeField] == "ingestion.progress");
        var chunkRows = (int)await stack.ScalarAsync("SELECT count(*) FROM job_chunks WHERE job_id = @id", ("id", Guid.Parse(jobId)));
        var vectorRows = (int)await stack.ScalarAsync(
            "SELECT count(*) FROM vectors v JOIN job_chunks c ON c.chunk_id = v.id WHERE v.collection = 'chunks' AND c.job_id = @id", ("id", Guid.Parse(jobId)));

        // As JobAudit: each counted outcome emits one progress event; each distinct chunk text is one row and one vector.
        var duplicated = Math.Max(0, progressEvents - (processedCounter + deadLetterEntries.Count))
            + Math.Max(0, chunkRows - processedCounter)
            + Math.Max(0, vectorRows - processedCounter)
            + (deadLetterEntries.Count - deadLettered);
        // JobAudit's lost = accepted - processed - deadLettered + max(0, processed - chunkRows), i.e. a counted chunk
        // without its row is lost; folding that into "processed" keeps lost = accepted - processed - dead_lettered.
        var processed = Math.Min(processedCounter, chunkRows);
        var lost = accepted - processed - deadLettered;
        return new JobAudit(job.GetProperty("status").GetString()!, accepted, processed, deadLettered, lost, duplicated);
    }

    /// <summary>
    /// JobAudit's payload: every chunk text different (so rows and vectors count per chunk) and all lower case, so
    /// the offline extractor adds no graph work and the run measures the queue.
    /// </summary>
    public static object Payload(int chunks, string tag) => new
    {
        chunks = Enumerable.Range(0, chunks)
            .Select(i => new { text = $"drill {tag}: chunk {i} of {chunks}, a note about engines and their notes.", source_uri = $"drill://{tag}/{i}" })
            .ToArray(),
        source_type = "drill",
    };
}
