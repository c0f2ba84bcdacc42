using Microsoft.EntityFrameworkCore;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;
using Shield.Workers.Graph;

namespace Shield.Workers.Documents;

/// <summary>What a deletion removed.</summary>
public sealed record DeletionResult(int ChunksReleased, int ChunksRemoved);

/// <summary>
/// The graph side of deleting a document: its jobs give up their claims on their chunks; a chunk no other job claims
/// (a text no other document contains) goes with its fragments and vector; every node and edge such a chunk touched is
/// recomputed and left to the deletion's finalisation, which rebuilds it from its remaining fragments alone (summaries
/// from the model cache where the same fragments were summarised before) or removes it with its vector when nothing
/// is left. Because a node is a function of its fragments, the result is the knowledge base that never had the
/// document. Idempotent: a repeat finds the claims gone and removes nothing twice.
/// </summary>
public sealed partial class DocumentDeleter(ShieldDbContext db, KnowledgeGraphStore graph, IVectorStore vectors, ILogger<DocumentDeleter> logger)
{
    /// <param name="deletionJobId">The deletion's own job: what it changed is finalised under it.</param>
    /// <param name="documentJobIds">The document's ingestion jobs, whose claims on chunks go.</param>
    public async Task<DeletionResult> DeleteAsync(Guid deletionJobId, IReadOnlyList<Guid> documentJobIds, CancellationToken cancellationToken)
    {
        var jobIds = documentJobIds.ToArray();
        var chunkIds = await db.Database.SqlQuery<string>($"""
            SELECT DISTINCT chunk_id AS "Value" FROM job_chunks WHERE job_id = ANY({jobIds}) ORDER BY 1
            """).ToListAsync(cancellationToken);
        // One chunk at a time, its claims and (when nothing else claims it) the chunk itself in one transaction: a
        // deletion repeated after a crash finds the claims it had not released yet, and nothing else to redo.
        var removed = 0;
        foreach (var chunkId in chunkIds)
        {
            if (await graph.ReleaseChunkAsync(deletionJobId, chunkId, jobIds, vectors, cancellationToken))
            {
                removed++;
            }
        }
        LogDeleted(deletionJobId, chunkIds.Count, removed);
        return new DeletionResult(chunkIds.Count, removed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deletion {JobId}: {Released} chunks released, {Removed} of them no other document contains removed")]
    private partial void LogDeleted(Guid jobId, int released, int removed);
}
