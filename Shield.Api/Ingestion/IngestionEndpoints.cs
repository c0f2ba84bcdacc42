using Microsoft.AspNetCore.Http.HttpResults;
using Shield.Ingestion.Jobs;

namespace Shield.Api.Ingestion;

public static class IngestionEndpoints
{
    public static IEndpointRouteBuilder MapIngestionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/lightrag/ingest-async", IngestAsync)
            .WithName("IngestAsync")
            .WithTags("Ingestion")
            .WithSummary("Submit chunks for asynchronous ingestion")
            .WithDescription("Records a job and puts every chunk on the stream shield:ingestion_queue, then answers 202 " +
                "with the job id and where to follow it. Invalid input gets a problem document and queues nothing.")
            .Accepts<IngestionRequest>("application/json")
            .Produces<IngestionAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .DisableAntiforgery();
        return app;
    }

    private static async Task<Results<Accepted<IngestionAccepted>, ValidationProblem, ProblemHttpResult>> IngestAsync(
        HttpRequest request, IngestionRequestReader reader, JobStore jobs, CancellationToken cancellationToken)
    {
        var read = await reader.ReadAsync(request, cancellationToken);
        if (read.Job is not { } job)
        {
            return read.Errors is { } errors
                ? TypedResults.ValidationProblem(errors, read.Detail, title: read.Title)
                : TypedResults.Problem(read.Detail, statusCode: read.Status, title: read.Title);
        }

        try
        {
            var snapshot = await jobs.CreateAsync(job, cancellationToken);
            var statusUrl = $"/jobs/{snapshot.JobId}";
            return TypedResults.Accepted(statusUrl, new IngestionAccepted(
                snapshot.JobId, snapshot.Status, snapshot.ChunksTotal, statusUrl, $"/events/stream?job_id={snapshot.JobId}"));
        }
        catch (JobNotQueuedException ex)
        {
            request.HttpContext.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(
                $"Job {ex.JobId} was not queued because Redis did not accept it; nothing will be processed. Submit again.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Queue unavailable");
        }
    }
}
