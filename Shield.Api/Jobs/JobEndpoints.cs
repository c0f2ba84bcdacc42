using Microsoft.AspNetCore.Http.HttpResults;
using Shield.Api.Security;
using Shield.Contracts.Jobs;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;

namespace Shield.Api.Jobs;

public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var reads = app.MapReadGroup().WithTags("Jobs");
        var writes = app.MapWriteGroup().WithTags("Jobs");

        reads.MapGet("/jobs", ListJobsAsync)
            .WithName("ListJobs")
            .WithSummary("The most recent jobs, newest first")
            .WithDescription("`limit` from 1 to 100 (default 20). Each job as GET /jobs/{job_id} reports it: from Redis while its live copy exists, else from PostgreSQL.")
            .Produces<IReadOnlyList<JobSnapshot>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);

        reads.MapGet("/jobs/{job_id}", GetJobAsync)
            .WithName("GetJob")
            .WithSummary("A job's status and progress")
            .WithDescription("Read from Redis while the job is live and for JobStatusTtl seconds after it ends, then from PostgreSQL.")
            .Produces<JobSnapshot>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        writes.MapDelete("/jobs/{job_id}", CancelJobAsync)
            .WithName("CancelJob")
            .WithSummary("Cancel a job")
            .WithDescription("A queued or processing job ends 'cancelled' at once (event ingestion.cancelled); chunks not yet " +
                "processed are skipped. A job that already ended is left as it is (409), and so is a document's deletion (409).")
            .Produces<JobSnapshot>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        writes.MapPost("/jobs/{job_id}/retry", RetryJobAsync)
            .WithName("RetryJob")
            .WithSummary("Re-queue a job's dead-lettered chunks")
            .WithDescription("Moves the job's chunks from shield:ingestion_dlq back onto the queue with their original fields; " +
                "the job returns to 'processing'. Possible while the job's Redis copy exists (JobStatusTtl after it ended).")
            .Produces<RetryAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<JobSnapshot>, ProblemHttpResult>> CancelJobAsync(
        string job_id, JobStore jobs, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(job_id, out var jobId)) return JobProblems.MalformedId(job_id);
        var ttl = TimeSpan.FromSeconds(configuration.GetValue("Shield:Workers:JobStatusTtl", 3600));
        if (await jobs.GetAsync(jobId, cancellationToken) is { SourceType: DeleteDocumentMessage.SourceType })
        {
            // Half a deletion would leave a document neither there nor gone; a failed one is simply deleted again.
            return TypedResults.Problem($"Job {jobId} deletes a document; a deletion runs to its end and cannot be cancelled.",
                statusCode: StatusCodes.Status409Conflict, title: "Deletion cannot be cancelled");
        }
        if (await jobs.CancelAsync(jobId, ttl, cancellationToken) is not { } result) return JobProblems.NotFound(jobId);
        return result.Job.Status != JobStatus.Cancelled
            ? TypedResults.Problem($"Job {jobId} already ended '{result.Job.Status}'; there is nothing to cancel.",
                statusCode: StatusCodes.Status409Conflict, title: "Job already finished")
            : TypedResults.Ok(result.Job);
    }

    private static async Task<Results<Accepted<RetryAccepted>, ProblemHttpResult>> RetryJobAsync(
        string job_id, JobStore jobs, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(job_id, out var jobId)) return JobProblems.MalformedId(job_id);
        var job = await jobs.GetAsync(jobId, cancellationToken);
        if (job is null) return JobProblems.NotFound(jobId);
        if (job.Status == JobStatus.Cancelled)
        {
            return TypedResults.Problem($"Job {jobId} was cancelled; submit it again instead.", statusCode: StatusCodes.Status409Conflict, title: "Job cancelled");
        }
        if (await jobs.RequeueDeadLetteredAsync(jobId, cancellationToken) is not { } requeued)
        {
            return TypedResults.Problem($"Job {jobId} ended too long ago: its live record has expired, so its chunks cannot be re-queued. Submit it again.",
                statusCode: StatusCodes.Status409Conflict, title: "Job record expired");
        }
        return TypedResults.Accepted(JobUrls.Status(jobId), new RetryAccepted(jobId, requeued, JobUrls.Status(jobId)));
    }

    private static async Task<Results<Ok<IReadOnlyList<JobSnapshot>>, ProblemHttpResult>> ListJobsAsync(
        string? limit, JobStore jobs, CancellationToken cancellationToken)
    {
        var count = 20;
        if (limit is not null && (!int.TryParse(limit, out count) || count is < 1 or > 100))
        {
            return TypedResults.Problem($"'limit' must be a whole number from 1 to 100, not '{limit}'.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid limit");
        }
        return TypedResults.Ok(await jobs.RecentAsync(count, cancellationToken));
    }

    private static async Task<Results<Ok<JobSnapshot>, ProblemHttpResult>> GetJobAsync(
        string job_id, JobStore jobs, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(job_id, out var jobId))
        {
            return JobProblems.MalformedId(job_id);
        }
        return await jobs.GetAsync(jobId, cancellationToken) is { } job
            ? TypedResults.Ok(job)
            : JobProblems.NotFound(jobId);
    }
}

public static class JobProblems
{
    public static ProblemHttpResult MalformedId(string value) => TypedResults.Problem(
        $"'{Truncate(value)}' is not a job id; job ids are UUIDs.", statusCode: StatusCodes.Status400BadRequest, title: "Malformed job id");

    public static ProblemHttpResult NotFound(Guid jobId) => TypedResults.Problem(
        $"Job {jobId} not found", statusCode: StatusCodes.Status404NotFound, title: "Job not found");

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";
}
