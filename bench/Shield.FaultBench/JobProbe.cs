using System.Text.Json;
using Shield.Drills;

namespace Shield.FaultBench;

/// <summary>The job's status and counter as <c>GET /jobs/{id}</c> reports them, or null while the Api cannot answer.</summary>
public sealed record JobProbe(string Status, int Processed)
{
    public bool Finished => Status is "completed" or "failed";

    public static async Task<JobProbe?> ReadAsync(ShieldStack stack, string jobId, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await stack.Api.GetAsync($"/jobs/{jobId}", timeout.Token);
            if (!response.IsSuccessStatusCode) return null;
            var job = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token)).RootElement;
            return new JobProbe(job.GetProperty("status").GetString()!, job.GetProperty("chunks_processed").GetInt32());
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
