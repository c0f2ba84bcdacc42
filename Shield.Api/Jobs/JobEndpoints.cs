using Microsoft.AspNetCore.Http.HttpResults;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Jobs;

public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/jobs/{job_id}", GetJobAsync)
            .WithName("GetJob")
            .WithTags("Jobs")
            .WithSummary("A job's status and progress")
            .WithDescription("Read from Redis while the job is live and for JobStatusTtl seconds after it ends, then from PostgreSQL.")
            .Produces<JobSnapshot>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
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
