using System.Text.Json;
using Shield.Ingestion.Events;
using Shield.Ingestion.Streams;
using Shield.Ingestion.Workers;
using Shield.Tests.Infrastructure;
using StackExchange.Redis;

namespace Shield.Tests.Resilience;

/// <summary>
/// Real faults against a real stack: a Workers process killed with SIGKILL or stopped with SIGTERM mid-job,
/// Redis restarted mid-job, PostgreSQL gone for 30 seconds. After each, the job must finish with every accepted
/// chunk processed or dead-lettered and nothing counted or stored twice.
/// </summary>
[Collection(ResilienceCollection.Name)]
[TestCaseOrderer(AlphabeticalOrderer.TypeName, AlphabeticalOrderer.AssemblyName)]
public sealed class FaultDrillTests(ResilienceStackFixture stack)
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Consumers_of_processes_without_a_heartbeat_leave_the_group_and_live_ones_stay()
    {
        var db = stack.Redis.GetDatabase();
        // As a process that was killed or restarted leaves them: a consumer in Shield's naming, nothing pending, no
        // heartbeat. Beside it, an idle consumer whose process still has its heartbeat.
        var gone = $"gone-host-4194300-{Guid.NewGuid().ToString("N")[..6]}-w0";
        var aliveProcess = $"alive-host-4194301-{Guid.NewGuid().ToString("N")[..6]}";
        var alive = aliveProcess + "-w0";
        var now = DateTimeOffset.UtcNow;
        // A pid no process can have, so the drills below never pick this stand-in as a worker to kill.
        await db.StringSetAsync(WorkerHeartbeat.Key(aliveProcess),
            new WorkerHeartbeat(aliveProcess, "alive-host", int.MaxValue, [alive], 1, 0, now, now, "test", "test").ToJson(),
            TimeSpan.FromMinutes(5));
        try
        {
            foreach (var consumer in new[] { gone, alive })
            {
                await db.ExecuteAsync("XGROUP", "CREATECONSUMER", IngestionStream.Key, IngestionStream.ConsumerGroup, consumer);
            }

            await Eventually.TrueAsync(async () => (await ConsumersAsync()).All(c => c.Name != gone),
                TimeSpan.FromMinutes(1), "the consumer without a heartbeat was not removed");

            // The same passes kept the consumer whose process has a heartbeat, and every consumer of the real pool.
            var names = (await ConsumersAsync()).Select(c => c.Name.ToString()).ToHashSet();
            Assert.Contains(alive, names);
            var pool = (await WorkerProcesses.LiveHeartbeatsAsync(stack.Redis)).SelectMany(h => h.Consumers).ToHashSet();
            Assert.NotEmpty(pool);
            Assert.Subset(names, pool);
        }
        finally
        {
            await db.KeyDeleteAsync(WorkerHeartbeat.Key(aliveProcess));
            await db.StreamDeleteConsumerAsync(IngestionStream.Key, IngestionStream.ConsumerGroup, alive);
        }
    }

    [Fact]
    public async Task Drill1_a_worker_killed_with_SIGKILL_mid_job_loses_and_doubles_nothing()
    {
        var jobId = await SubmitAndWaitForProgressAsync(600, "kill");

        var victim = await Faults.KillWorkerAsync(stack);

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        var audit = await JobAudit.OfAsync(stack, jobId);
        Assert.Equal(new JobAudit("completed", 600, 600, 0, 0, 0), audit);

        // The dead process's consumers leave the group once nothing is pending on them.
        await Eventually.TrueAsync(async () =>
            !(await ConsumersAsync()).Any(c => c.Name.ToString().StartsWith(victim.ProcessId, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), "the killed worker's consumers were not removed");
    }

    [Fact]
    public async Task Drill2_a_worker_stopped_with_SIGTERM_mid_job_finishes_what_it_holds_and_leaves()
    {
        var jobId = await SubmitAndWaitForProgressAsync(600, "term");

        var (victim, exited) = await Faults.TermWorkerAsync(stack, TimeSpan.FromSeconds(40));
        Assert.True(exited, "the worker did not exit within its graceful timeout");

        // It drained its batch: nothing of it is left pending to wait for a reclaim.
        var leftovers = (await ConsumersAsync()).Where(c => c.Name.ToString().StartsWith(victim.ProcessId, StringComparison.Ordinal)).ToList();
        Assert.All(leftovers, c => Assert.Equal(0, c.PendingMessageCount));
        var stopped = (await stack.Redis.GetDatabase().StreamRangeAsync(EventStream.Key))
            .Where(e => e[EventStream.TypeField] == "worker.stopped")
            .Select(e => JsonDocument.Parse(e[EventStream.PayloadField].ToString()).RootElement.GetProperty("data"))
            .Where(d => d.GetProperty("process_id").GetString() == victim.ProcessId)
            .ToList();
        Assert.Equal(4, stopped.Count);
        Assert.All(stopped, d => Assert.Equal("shutdown", d.GetProperty("reason").GetString()));

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 600, 600, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task Drill3_redis_restarted_mid_job_loses_and_doubles_nothing()
    {
        var jobId = await SubmitAndWaitForProgressAsync(500, "redis");

        // Stopped, started again as soon as the Api sees it down, and waited for until healthy.
        await Faults.RestartRedisAsync(stack, TimeSpan.FromMinutes(1));

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 500, 500, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task Drill4_postgresql_gone_for_30_seconds_mid_job_is_waited_out()
    {
        var jobId = await SubmitAndWaitForProgressAsync(400, "postgres");

        // SIGINT to the postmaster; returns once the Api reports PostgreSQL down.
        var outage = await Faults.StopPostgresAsync(stack, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
        using (var health = await stack.Api.GetAsync("/health/detailed"))
        {
            Assert.Equal(503, (int)health.StatusCode);
        }
        // The outage is the drill: the database stays away for its 30 seconds, however soon the Api noticed.
        await outage.EndAsync();

        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 400, 400, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task Drill5_a_worker_whose_launcher_is_killed_exits_within_a_minute_and_loses_nothing()
    {
        var jobId = await SubmitAndWaitForProgressAsync(400, "launcher");

        // DCP tracks the `dotnet run` launcher, not the worker it starts: a kill aimed at that pid orphans the worker.
        var (victim, exited) = await Faults.KillLauncherAsync(stack, TimeSpan.FromMinutes(1));

        Assert.True(exited, $"the worker {victim.Pid} outlived its launcher by a minute");
        await stack.Api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal(new JobAudit("completed", 400, 400, 0, 0, 0), await JobAudit.OfAsync(stack, jobId));
    }

    [Fact]
    public async Task A_workers_process_with_another_runs_settings_cannot_join_this_runs_queue()
    {
        // Another run of the AppHost had another Redis password; its Workers process reaches this run's Redis on the
        // same local port. Here it is such a process: this run's PostgreSQL and Redis endpoint, the wrong password.
        var endpoint = stack.RedisConnectionString.Split(',')[0];
        using var intruder = WorkerProcesses.StartWorkersProcess(new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = $"{endpoint},password=another-runs-password",
            ["ConnectionStrings__shield"] = stack.PostgresConnectionString,
            ["Shield__Workers__PoolSize"] = "1",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        }, out var output);

        try
        {
            Assert.True(intruder.WaitForExit(TimeSpan.FromMinutes(2)), "a Workers process Redis refuses kept running");
            Assert.NotEqual(0, intruder.ExitCode);
            Assert.Contains("Redis refused", output.ToString(), StringComparison.Ordinal);
            var pid = "-" + intruder.Id + "-";
            Assert.DoesNotContain(await ConsumersAsync(), c => c.Name.ToString().Contains(pid, StringComparison.Ordinal));
        }
        finally
        {
            if (!intruder.HasExited) intruder.Kill(entireProcessTree: true);
        }
    }

    private async Task<string> SubmitAndWaitForProgressAsync(int chunks, string tag)
    {
        var accepted = await stack.Api.SubmitAsync(JobAudit.Payload(chunks, tag + "-" + Guid.NewGuid().ToString("N")[..6]));
        var jobId = accepted.GetProperty("job_id").GetString()!;
        await Eventually.TrueAsync(async () =>
            JsonDocument.Parse(await stack.Api.GetStringAsync($"/jobs/{jobId}")).RootElement.GetProperty("chunks_processed").GetInt32() >= 40,
            TimeSpan.FromMinutes(1), "the job did not start");
        return jobId;
    }

    private Task<StreamConsumerInfo[]> ConsumersAsync() => WorkerProcesses.ConsumersAsync(stack.Redis);
}
