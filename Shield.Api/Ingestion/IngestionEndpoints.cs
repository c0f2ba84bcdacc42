using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Shield.Api.Jobs;
using Shield.Api.Security;
using Shield.Contracts.Ingestion;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Ingestion;

public static class IngestionEndpoints
{
    public static IEndpointRouteBuilder MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapWriteGroup().MapPost("/lightrag/ingest-async", IngestAsync)
            .WithName("IngestAsync")
            .WithTags("Ingestion")
            .WithSummary("Submit chunks for asynchronous ingestion")
            .WithDescription("Records a job and puts every chunk on the stream shield:ingestion_queue, then answers 202 " +
                "with the job id and where to follow it. Invalid input gets a problem document and queues nothing. " +
                "With an Idempotency-Key header, a repeat of the same body returns the original job; a different body under the same key is a 422.")
            .Accepts<IngestionRequest>("application/json")
            .Produces<IngestionAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Accepted<IngestionAccepted>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpRequest request, IngestionRequestReader reader, JobStore jobs, IdempotencyKeys idempotency, QueueBacklog backlog,
        IOptions<IngestionLimits> limits, CancellationToken cancellationToken)
    {
        var idempotencyKey = request.Headers[IdempotencyKeys.Header].ToString();
        if (idempotencyKey.Length > IdempotencyKeys.MaxKeyLength)
        {
            return TypedResults.Problem($"{IdempotencyKeys.Header} may be at most {IdempotencyKeys.MaxKeyLength} characters.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid Idempotency-Key");
        }

        var read = await reader.ReadAsync(request, cancellationToken);
        if (read.Job is not { } job)
        {
            return read.Errors is { } errors
                ? TypedResults.ValidationProblem(errors, read.Detail, title: read.Title)
                : TypedResults.Problem(read.Detail, statusCode: read.Status, title: read.Title);
        }

        if (idempotencyKey.Length > 0)
        {
            var claim = await idempotency.ClaimAsync(idempotencyKey, job.JobId, read.BodySha256);
            if (!claim.IsNew)
            {
                return claim.BodySha256 != read.BodySha256
                    ? TypedResults.Problem($"This {IdempotencyKeys.Header} was used for a different submission (job {claim.JobId}); use a new key for new content.",
                        statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused")
                    : await jobs.GetAsync(claim.JobId, cancellationToken) is { } original
                        ? Accepted(original.JobId, original.Status, original.ChunksTotal)
                        : TypedResults.Problem($"The submission with this {IdempotencyKeys.Header} (job {claim.JobId}) is still being accepted; retry shortly.",
                            statusCode: StatusCodes.Status409Conflict, title: "Submission in progress");
            }
        }

        try
        {
            if (await backlog.CountAsync() + job.Chunks.Count > limits.Value.MaxBacklog)
            {
                request.HttpContext.Response.Headers.RetryAfter = "30";
                await ReleaseAsync(idempotency, idempotencyKey);
                return TypedResults.Problem(
                    $"The queue already holds more than {limits.Value.MaxBacklog} unfinished chunks; nothing was queued. Submit again after Retry-After seconds.",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue full");
            }

            var snapshot = await jobs.CreateAsync(job, cancellationToken);
            return Accepted(snapshot.JobId, snapshot.Status, snapshot.ChunksTotal);
        }
        catch (JobNotQueuedException ex)
        {
            await ReleaseAsync(idempotency, idempotencyKey);
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(
                $"Job {ex.JobId} was not queued because Redis did not accept it; nothing will be processed. Submit again.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue unavailable");
        }
        catch
        {
            await ReleaseAsync(idempotency, idempotencyKey);
            throw;
        }
    }

    private static Accepted<IngestionAccepted> Accepted(Guid jobId, string status, int chunksTotal)
    {
        var statusUrl = JobUrls.Status(jobId);
        return TypedResults.Accepted(statusUrl, new IngestionAccepted(jobId, status, chunksTotal, statusUrl, JobUrls.Events(jobId)));
    }

    private static async Task ReleaseAsync(IdempotencyKeys idempotency, string key)
    {
        if (key.Length > 0)
        {
            await idempotency.ReleaseAsync(key);
        }
    }
}
