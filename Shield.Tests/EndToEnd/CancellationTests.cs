using System.Net;
using System.Text.Json;
using Shield.Ingestion.Streams;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.EndToEnd;

[Collection(StackCollection.Name)]
public sealed class CancellationTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task Cancelling_a_job_ends_it_cancelled_and_its_remaining_chunks_are_skipped()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 400));
        var jobId = accepted.GetProperty("job_id").GetString()!;

        using var cancel = await stack.Api.DeleteAsync($"/jobs/{jobId}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        var events = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={jobId}",
            e => e.Event == "ingestion.cancelled", TimeSpan.FromSeconds(30));
        Assert.Single(events, e => e.Event == "ingestion.cancelled");

        // The queue drains: every chunk is acknowledged, processed or skipped, and none is counted after the cancel.
        await Eventually.TrueAsync(async () =>
            (await stack.Redis.GetDatabase().StreamPendingAsync(IngestionStream.Key, IngestionStream.ConsumerGroup)).PendingMessageCount == 0
            && (await stack.Redis.GetDatabase().StreamGroupInfoAsync(IngestionStream.Key))[0].Lag == 0,
            TimeSpan.FromMinutes(1));
        var job = JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement;
        Assert.Equal("cancelled", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("chunks_processed").GetInt32() < 400);
        var afterDrain = await ServerSentEvents.ReadUntilAsync(stack.Api, $"/events/stream?job_id={jobId}",
            e => e.Event == "ingestion.cancelled", TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(afterDrain, e => e.Event is "ingestion.completed" or "ingestion.failed");
        var progressAfterCancel = afterDrain.SkipWhile(e => e.Event != "ingestion.cancelled").Skip(1);
        Assert.DoesNotContain(progressAfterCancel, e => e.Event == "ingestion.progress");
        Assert.Equal(job.GetProperty("status").GetString(),
            (await stack.ScalarAsync("SELECT count(*) FROM jobs WHERE id = @id AND status = 'cancelled'", ("id", Guid.Parse(jobId)))) == 1 ? "cancelled" : "not cancelled in PostgreSQL");

        using var again = await stack.Api.DeleteAsync($"/jobs/{jobId}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task A_finished_job_cannot_be_cancelled()
    {
        var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload());
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await stack.Api.WaitForJobAsync(jobId, TimeSpan.FromMinutes(1));

        using var response = await stack.Api.DeleteAsync($"/jobs/{jobId}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("completed", JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement.GetProperty("status").GetString());
    }
}
