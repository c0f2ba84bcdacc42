using System.Text.Json;
using System.Text.Json.Nodes;
using Shield.Ingestion.Jobs;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Jobs;

/// <summary><c>GET /jobs</c> against the stack: each listed job as <c>GET /jobs/{id}</c> reports it, wherever it is read from.</summary>
[Collection(StackCollection.Name)]
public sealed class JobListTests(ShieldStackFixture stack)
{
    [Fact]
    public async Task Listed_jobs_match_their_own_status_whether_read_from_Redis_or_only_PostgreSQL()
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var accepted = await stack.Api.SubmitAsync(ApiCalls.PlanPayload(chunks: 2, sourceType: $"list-{i}"));
            ids.Add(accepted.GetProperty("job_id").GetString()!);
        }
        foreach (var id in ids)
        {
            await stack.Api.WaitForJobAsync(id, TimeSpan.FromMinutes(2));
        }

        // Two of them as they are once their Redis copy has expired: only the PostgreSQL row is left.
        var expired = ids.Where((_, i) => i % 2 == 0).ToHashSet();
        foreach (var id in expired)
        {
            Assert.True(await stack.Redis.GetDatabase().KeyDeleteAsync(JobKeys.Hash(Guid.Parse(id))));
        }

        var listed = JsonNode.Parse(await stack.Api.GetStringAsync("/jobs?limit=100"))!.AsArray();
        var ours = listed.Where(j => ids.Contains(j!["job_id"]!.GetValue<string>())).ToList();

        // Newest first, and each exactly as its own endpoint answers, from whichever store that reads.
        Assert.Equal(Enumerable.Reverse(ids), ours.Select(j => j!["job_id"]!.GetValue<string>()));
        foreach (var job in ours)
        {
            var id = job!["job_id"]!.GetValue<string>();
            var own = JsonNode.Parse(await stack.Api.GetStringAsync($"/jobs/{id}"));
            Assert.True(JsonNode.DeepEquals(own, job), $"GET /jobs listed {job.ToJsonString()}, GET /jobs/{id} answered {own!.ToJsonString()}");
            Assert.Equal("completed", job["status"]!.GetValue<string>());
            Assert.Equal(2, job["chunks_processed"]!.GetValue<int>());
        }
        // The two kinds really differ in where they come from.
        Assert.All(ids, id => Assert.Equal(!expired.Contains(id), stack.Redis.GetDatabase().KeyExists(JobKeys.Hash(Guid.Parse(id)))));
    }
}
