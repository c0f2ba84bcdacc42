using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Persistence;

namespace Shield.Ingestion.Documents;

/// <summary>
/// Documents in PostgreSQL (<c>documents</c>, <c>document_jobs</c>) and the jobs that ingest and delete them, which go
/// through the <see cref="JobStore"/> like any job. A document's status then follows its latest ingest job in the job
/// store's own durable writes (<see cref="DocumentsFollowJobs"/>), so it is never a second state machine to keep in step.
/// </summary>
public sealed partial class DocumentStore(ShieldDbContext db, JobStore jobs, TimeProvider time, ILogger<DocumentStore> logger)
{
    /// <summary>Attempts when another request changes the same document at the same moment (each attempt re-reads it).</summary>
    private const int Attempts = 3;

    /// <summary>
    /// Takes a document: a new one, a known one asked to be reprocessed, or a known one whose last ingestion failed is
    /// recorded pending and its job queued (the document row, its link and the job row in one transaction, then the
    /// chunks); any other known one is left as it is and returned.
    /// </summary>
    /// <exception cref="JobNotQueuedException">Redis did not take the job; the document says failed, as its job row does.</exception>
    public async Task<DocumentAcceptance> AcceptAsync(NewDocument document, bool reprocess, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var now = time.GetUtcNow();
            var row = await db.Documents.SingleOrDefaultAsync(d => d.Id == document.Id, cancellationToken);
            if (row is not null)
            {
                if (row.Status == DocumentStatus.Deleting)
                {
                    return new DocumentAcceptance(DocumentDisposition.BeingDeleted, await SnapshotAsync(row, cancellationToken), null);
                }
                if (!reprocess && row.Status != DocumentStatus.Failed)
                {
                    return new DocumentAcceptance(DocumentDisposition.Existing, await SnapshotAsync(row, cancellationToken), null);
                }
                row.Status = DocumentStatus.Pending;
                row.Error = null;
                row.UpdatedAt = now;
                row.SourceName = document.SourceName;
                row.ContentType = document.ContentType;
                row.SizeBytes = document.SizeBytes;
                row.ChunkCount = document.Job.Chunks.Count;
            }
            else
            {
                db.Documents.Add(row = new DocumentRow
                {
                    Id = document.Id,
                    Status = DocumentStatus.Pending,
                    SourceName = document.SourceName,
                    ContentType = document.ContentType,
                    SizeBytes = document.SizeBytes,
                    ContentLength = document.ContentLength,
                    ContentSummary = document.ContentSummary,
                    ChunkCount = document.Job.Chunks.Count,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }
            db.DocumentJobs.Add(new DocumentJobRow { DocumentId = document.Id, JobId = document.Job.JobId, Kind = DocumentJobKind.Ingest, CreatedAt = now });

            try
            {
                // JobStore saves the context, so the document, its link and the job row commit together before any chunk is queued.
                var job = await jobs.CreateAsync(document.Job, cancellationToken);
                LogDocumentQueued(document.Id, job.JobId, job.ChunksTotal);
                return new DocumentAcceptance(DocumentDisposition.Queued, await SnapshotAsync(row, cancellationToken), job);
            }
            catch (DbUpdateException ex) when (attempt < Attempts && IsRace(ex))
            {
                // Another request created or changed this document meanwhile: decide again on what it left.
                LogRaced(document.Id, attempt);
            }
        }
    }

    /// <summary>The status of each of these documents that is known.</summary>
    public async Task<Dictionary<string, string>> StatusesAsync(IReadOnlyCollection<string> documentIds, CancellationToken cancellationToken) =>
        await db.Documents.AsNoTracking().Where(d => documentIds.Contains(d.Id))
            .ToDictionaryAsync(d => d.Id, d => d.Status, StringComparer.Ordinal, cancellationToken);

    /// <summary>The document with its jobs, oldest first; null when unknown.</summary>
    public async Task<DocumentSnapshot?> GetAsync(string documentId, CancellationToken cancellationToken)
    {
        var row = await db.Documents.AsNoTracking().SingleOrDefaultAsync(d => d.Id == documentId, cancellationToken);
        return row is null ? null : await SnapshotAsync(row, cancellationToken);
    }

    /// <summary>A page of documents, newest first, optionally of one status, after <paramref name="after"/> (a previous page's cursor).</summary>
    public async Task<DocumentPage> ListAsync(string? status, int limit, DocumentCursor? after, CancellationToken cancellationToken)
    {
        var query = db.Documents.AsNoTracking();
        if (status is not null)
        {
            query = query.Where(d => d.Status == status);
        }
        if (after is { } cursor)
        {
            query = query.Where(d => d.CreatedAt < cursor.CreatedAt || (d.CreatedAt == cursor.CreatedAt && string.Compare(d.Id, cursor.DocumentId) < 0));
        }
        var rows = await query.OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).Take(limit + 1).ToListAsync(cancellationToken);
        var page = rows.Take(limit).ToList();
        var ids = page.Select(d => d.Id).ToList();
        var links = (await db.DocumentJobs.AsNoTracking().Where(l => ids.Contains(l.DocumentId)).ToListAsync(cancellationToken))
            .ToLookup(l => l.DocumentId);
        return new DocumentPage(
            [.. page.Select(d => ToSnapshot(d, links[d.Id]))],
            rows.Count > limit ? new DocumentCursor(page[^1].CreatedAt, page[^1].Id) : null);
    }

    /// <summary>
    /// Starts a document's deletion: the document says <c>deleting</c>, a deletion job is recorded with it (one
    /// transaction) and its one entry queued; ingest jobs of the document still running are then cancelled, so no more
    /// of it is processed. A document already being deleted returns the deletion that runs.
    /// </summary>
    /// <exception cref="JobNotQueuedException">Redis did not take the deletion; the document is as it was.</exception>
    public async Task<DocumentDeletion?> DeleteAsync(string documentId, TimeSpan finishedJobTtl, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var row = await db.Documents.SingleOrDefaultAsync(d => d.Id == documentId, cancellationToken);
            if (row is null)
            {
                return null;
            }
            if (row.Status == DocumentStatus.Deleting)
            {
                var running = await db.DocumentJobs.AsNoTracking()
                    .Where(l => l.DocumentId == documentId && l.Kind == DocumentJobKind.Delete)
                    .OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.JobId).FirstAsync(cancellationToken);
                var job = await jobs.GetAsync(running.JobId, cancellationToken);
                return new DocumentDeletion(await SnapshotAsync(row, cancellationToken), job!, AlreadyRunning: true);
            }

            var previous = row.Status;
            var now = time.GetUtcNow();
            var jobId = Guid.CreateVersion7();
            var unfinished = await db.DocumentJobs.AsNoTracking()
                .Where(l => l.DocumentId == documentId && l.Kind == DocumentJobKind.Ingest)
                .Join(db.Jobs, l => l.JobId, j => j.Id, (l, j) => j)
                .Where(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Processing)
                .Select(j => j.Id).ToListAsync(cancellationToken);
            row.Status = DocumentStatus.Deleting;
            row.Error = null;
            row.UpdatedAt = now;
            db.DocumentJobs.Add(new DocumentJobRow { DocumentId = documentId, JobId = jobId, Kind = DocumentJobKind.Delete, CreatedAt = now });

            JobSnapshot deletion;
            try
            {
                var metadata = new JsonObject { ["document_id"] = documentId, ["source_name"] = row.SourceName };
                deletion = await jobs.CreateDeletionAsync(jobId, documentId, metadata.ToJsonString(), cancellationToken);
            }
            catch (DbUpdateException ex) when (attempt < Attempts && IsRace(ex))
            {
                LogRaced(documentId, attempt);
                continue;
            }
            catch (JobNotQueuedException)
            {
                await db.Documents.Where(d => d.Id == documentId && d.Status == DocumentStatus.Deleting)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, previous).SetProperty(d => d.UpdatedAt, time.GetUtcNow()), CancellationToken.None);
                throw;
            }

            foreach (var ingest in unfinished)
            {
                await jobs.CancelAsync(ingest, finishedJobTtl, cancellationToken);
            }
            LogDeletionStarted(documentId, jobId, unfinished.Count);
            return new DocumentDeletion(await SnapshotAsync(row, cancellationToken), deletion, AlreadyRunning: false);
        }
    }

    private async Task<DocumentSnapshot> SnapshotAsync(DocumentRow row, CancellationToken cancellationToken) => ToSnapshot(row,
        await db.DocumentJobs.AsNoTracking().Where(l => l.DocumentId == row.Id).ToListAsync(cancellationToken));

    private static DocumentSnapshot ToSnapshot(DocumentRow row, IEnumerable<DocumentJobRow> links) => new(
        row.Id, row.Status, row.SourceName, row.ContentType, row.SizeBytes, row.ContentLength, row.ContentSummary, row.ChunkCount,
        row.Error, row.CreatedAt, row.UpdatedAt,
        [.. links.OrderBy(l => l.CreatedAt).ThenBy(l => l.JobId).Select(l => new DocumentJob(l.JobId, l.Kind, l.CreatedAt))]);

    /// <summary>Another transaction inserted the same document (unique key) or changed it since it was read (xmin).</summary>
    private static bool IsRace(DbUpdateException ex) =>
        ex is DbUpdateConcurrencyException || ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {DocumentId} queued as job {JobId} with {ChunkCount} chunks")]
    private partial void LogDocumentQueued(string documentId, Guid jobId, int chunkCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deletion of document {DocumentId} queued as job {JobId}; {Cancelled} unfinished ingest jobs cancelled")]
    private partial void LogDeletionStarted(string documentId, Guid jobId, int cancelled);

    [LoggerMessage(Level = LogLevel.Information, Message = "Document {DocumentId} was changed by another request meanwhile (attempt {Attempt}); reading it again")]
    private partial void LogRaced(string documentId, int attempt);
}

/// <summary>A document read and cut, ready to be recorded with the job that ingests it.</summary>
/// <param name="Id"><c>doc-</c> + MD5 of its text.</param>
/// <param name="ContentLength">Characters of its text.</param>
/// <param name="ContentSummary">The text's first characters.</param>
/// <param name="Job">Its chunks, as one job.</param>
public sealed record NewDocument(string Id, string SourceName, string ContentType, long SizeBytes, int ContentLength, string ContentSummary, NewJob Job);

/// <summary>What <see cref="DocumentStore.AcceptAsync"/> did.</summary>
public enum DocumentDisposition
{
    /// <summary>Its ingest job was queued (a new document, a reprocessed one, or one whose last ingestion failed).</summary>
    Queued,
    /// <summary>Already known and not reprocessed: nothing was queued.</summary>
    Existing,
    /// <summary>Being deleted: nothing was queued.</summary>
    BeingDeleted,
}

/// <param name="Job">The job queued; null when nothing was.</param>
public sealed record DocumentAcceptance(DocumentDisposition Disposition, DocumentSnapshot Document, JobSnapshot? Job);

/// <param name="AlreadyRunning">The document was already being deleted: <paramref name="Job"/> is that deletion.</param>
public sealed record DocumentDeletion(DocumentSnapshot Document, JobSnapshot Job, bool AlreadyRunning);

public sealed record DocumentSnapshot(
    string DocumentId, string Status, string SourceName, string ContentType, long SizeBytes, int ContentLength, string ContentSummary,
    int ChunkCount, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<DocumentJob> Jobs)
{
    /// <summary>The job of its latest ingestion.</summary>
    public DocumentJob? LatestIngest => Jobs.LastOrDefault(j => j.Kind == DocumentJobKind.Ingest);
}

public sealed record DocumentJob(Guid JobId, string Kind, DateTimeOffset CreatedAt);

/// <summary>Where a page of <see cref="DocumentStore.ListAsync"/> ended: the next page starts after this document.</summary>
public readonly record struct DocumentCursor(DateTimeOffset CreatedAt, string DocumentId);

public sealed record DocumentPage(IReadOnlyList<DocumentSnapshot> Documents, DocumentCursor? Next);
