namespace Shield.Api.Jobs;

/// <summary>The URLs an accepted request points its client to: the job's status and its event stream.</summary>
public static class JobUrls
{
    public static string Status(Guid jobId) => $"/jobs/{jobId}";

    public static string Events(Guid jobId) => $"/events/stream?job_id={jobId}";
}
