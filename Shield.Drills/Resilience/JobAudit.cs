using System.Text.Json;
using Shield.Ingestion.Events;
using Shield.Ingestion.Streams;

namespace Shield.Drills.Resilience;

/// <summary>
/// The figures a fault drill (or a fault bench run) is judged by: every accepted chunk ends processed or dead-lettered
/// (lost = 0), and none is counted or stored twice (duplicated = 0). Counted from the job's counters, its dead-letter
/// entries and progress events in Redis, and its claims on chunks (<c>job_chunks</c>) and their vectors in PostgreSQL.
/// </summary>
public sealed record JobAudit(string Status, int Accepted, int Processed, int DeadLettered, int Lost, int Duplicated)
{
    public bool Finished => Status is "completed" or "failed";

    public static async Task<JobAudit> OfAsync(ShieldStack stack, string jobId)
    {
        var job = JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement;
        var accepted = job.GetProperty("chunks_total").GetInt32();
        var processed = job.GetProperty("chunks_processed").GetInt32();
        var db = stack.Redis.GetDatabase();
        var deadLettered = (await db.StreamRangeAsync(IngestionStream.DeadLetterKey)).Count(e => e["job_id"] == jobId);
        var progressEvents = (await db.StreamRangeAsync(EventStream.Key))
            .Count(e => e[EventStream.JobField] == jobId && e[EventStream.TypeField] == "ingestion.progress");
        var chunkRows = (int)await stack.ScalarAsync("SELECT count(*) FROM job_chunks WHERE job_id = @id", ("id", Guid.Parse(jobId)));
        var vectorRows = (int)await stack.ScalarAsync(
            "SELECT count(*) FROM vectors v JOIN job_chunks c ON c.chunk_id = v.id WHERE v.collection = 'chunks' AND c.job_id = @id", ("id", Guid.Parse(jobId)));

        // Each counted outcome emits one progress event; each distinct chunk text is one row and one vector.
        var duplicated = Math.Max(0, progressEvents - (processed + deadLettered)) + Math.Max(0, chunkRows - processed) + Math.Max(0, vectorRows - processed);
        var lost = accepted - processed - deadLettered + Math.Max(0, processed - chunkRows);
        return new JobAudit(job.GetProperty("status").GetString()!, accepted, processed, deadLettered, lost, duplicated);
    }

    /// <summary>
    /// A job whose chunk texts are all different, so rows and vectors can be counted per chunk. The text is all
    /// lower case on purpose: the drills test the queue, and without names the offline extractor adds no graph
    /// work (a name in every chunk makes each merge re-embed one ever-growing node, which is slow on two cores).
    /// </summary>
    public static object Payload(int chunks, string tag) => new
    {
        chunks = Enumerable.Range(0, chunks)
            .Select(i => new { text = $"drill {tag}: chunk {i} of {chunks}, a note about engines and their notes.", source_uri = $"drill://{tag}/{i}" })
            .ToArray(),
        source_type = "drill",
    };
}
