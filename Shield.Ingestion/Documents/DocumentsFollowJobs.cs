namespace Shield.Ingestion.Documents;

/// <summary>
/// The one statement that keeps a document's status in step with its latest ingest job: queued → pending,
/// processing → processing, completed → processed, failed or cancelled → failed (with the job's error). It runs in the
/// same statement as each durable write of a job's state (<see cref="Jobs.JobStore"/>), after a CTE named <c>job</c>
/// that yields the job's <c>id, status, error</c>; a job without a document, a document being deleted, an earlier job of
/// a reprocessed document, or a state the document already has changes nothing.
/// </summary>
internal static class DocumentsFollowJobs
{
    /// <param name="nowParameter">The placeholder of the update time in the surrounding raw SQL, e.g. <c>{8}</c>.</param>
    public static string Statement(string nowParameter) => $"""
        UPDATE documents d SET status = follows.status, error = follows.error, updated_at = {nowParameter}
        FROM job
        JOIN document_jobs dj ON dj.job_id = job.id AND dj.kind = '{DocumentJobKind.Ingest}'
        CROSS JOIN LATERAL (SELECT
            CASE job.status WHEN 'queued' THEN '{DocumentStatus.Pending}' WHEN 'processing' THEN '{DocumentStatus.Processing}'
              WHEN 'completed' THEN '{DocumentStatus.Processed}' ELSE '{DocumentStatus.Failed}' END AS status,
            CASE job.status WHEN 'failed' THEN COALESCE(job.error, 'Its ingestion job failed.')
              WHEN 'cancelled' THEN 'Its ingestion job ' || job.id || ' was cancelled.' END AS error) follows
        WHERE d.id = dj.document_id
          AND d.status <> '{DocumentStatus.Deleting}'
          AND (d.status, d.error) IS DISTINCT FROM (follows.status, follows.error)
          AND NOT EXISTS (SELECT 1 FROM document_jobs newer
            WHERE newer.document_id = dj.document_id AND newer.kind = '{DocumentJobKind.Ingest}'
              AND (newer.created_at, newer.job_id) > (dj.created_at, dj.job_id))
        """;
}
