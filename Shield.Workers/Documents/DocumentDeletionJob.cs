using Microsoft.EntityFrameworkCore;
using Shield.Ingestion.Documents;
using Shield.Ingestion.Persistence;
using Shield.Workers.Finalization;

namespace Shield.Workers.Documents;

/// <summary>
/// A document's deletion job, as one Workers step: the document's ingest jobs give up their chunks
/// (<see cref="DocumentDeleter"/>), then what that changed is finalised under the deletion's own job
/// (<see cref="JobFinalizer"/>: every node and edge rebuilt from its remaining fragments, or removed with its vector).
/// Both halves are idempotent, so a repeat after a crash completes what the first run began.
/// </summary>
public sealed partial class DocumentDeletionJob(ShieldDbContext db, DocumentDeleter deleter, JobFinalizer finalizer, TimeProvider time,
    ILogger<DocumentDeletionJob> logger)
{
    public async Task RunAsync(Guid deletionJobId, string documentId, CancellationToken cancellationToken)
    {
        var ingestJobs = await db.DocumentJobs.AsNoTracking()
            .Where(l => l.DocumentId == documentId && l.Kind == DocumentJobKind.Ingest)
            .Select(l => l.JobId).ToListAsync(cancellationToken);
        var deleted = await deleter.DeleteAsync(deletionJobId, ingestJobs, cancellationToken);
        var finalized = await finalizer.RebuildAsync(deletionJobId, cancellationToken);
        LogDeleted(documentId, deletionJobId, ingestJobs.Count, deleted.ChunksRemoved, deleted.ChunksReleased - deleted.ChunksRemoved,
            finalized.Removed, finalized.Elements - finalized.Removed);
    }

    /// <summary>
    /// Just before the deletion job ends: a deletion that succeeded takes the document's row (and its job links) with
    /// it, so that a client who sees the job completed finds the document gone; a failed one leaves the document
    /// <c>failed</c> with the reason, to be deleted again. Idempotent.
    /// </summary>
    /// <param name="failure">Why the deletion failed; null when it did not.</param>
    public async Task SettleAsync(Guid deletionJobId, string documentId, string? failure, CancellationToken cancellationToken)
    {
        if (failure is null)
        {
            await db.Documents.Where(d => d.Id == documentId && d.Status == DocumentStatus.Deleting).ExecuteDeleteAsync(cancellationToken);
            return;
        }
        await db.Documents.Where(d => d.Id == documentId && d.Status == DocumentStatus.Deleting)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DocumentStatus.Failed)
                .SetProperty(d => d.Error, $"Its deletion (job {deletionJobId}) failed: {failure}")
                .SetProperty(d => d.UpdatedAt, time.GetUtcNow()), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {DocumentId} deleted by job {JobId}: {IngestJobs} ingest jobs, {ChunksRemoved} chunks removed, {ChunksKept} kept for other documents, {ElementsRemoved} entities and relations removed, {ElementsRebuilt} rebuilt")]
    private partial void LogDeleted(string documentId, Guid jobId, int ingestJobs, int chunksRemoved, int chunksKept, int elementsRemoved, int elementsRebuilt);
}
