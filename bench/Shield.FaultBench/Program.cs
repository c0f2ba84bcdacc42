using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Shield.Drills;
using Shield.Drills.Resilience;
using Shield.FaultBench;

// One ingestion job through one fault; one JSON line of figures on standard output, everything else on standard error.
if (args is ["--help"] or ["-h"])
{
    Console.Out.WriteLine(BenchOptions.Usage);
    return 0;
}
var options = BenchOptions.Parse(args, out var problem);
if (options is null)
{
    Console.Error.WriteLine(problem);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var fault = BenchOptions.Name(options.Fault);
try
{
    return await RunAsync();
}
catch (Exception e)
{
    // The stack is already stopped and its data deleted; no figures line, so no false result.
    BenchLog.Write($"bench failed: {e}");
    return 1;
}

async Task<int> RunAsync()
{
    BenchLog.Write($"starting the stack (redis port {options.RedisPort}) for fault '{fault}', {options.Chunks} chunks");
    var stack = await ShieldStack.StartAsync(options.ToStackOptions(), cancel.Token);
    try
    {
        BenchLog.Write($"stack up; data in {stack.DataDirectory}");
        return await MeasureAsync(stack);
    }
    finally
    {
        try
        {
            await stack.DisposeAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            // The figures stand; a stop that did not finish is reported, not counted against the run.
            BenchLog.Write($"stopping the app: {e.Message}");
        }
    }
}

async Task<int> MeasureAsync(ShieldStack stack)
{
    // Submit.
    var tag = fault + "-" + Guid.NewGuid().ToString("N")[..6];
    var submitted = Stopwatch.StartNew();
    string jobId;
    int accepted;
    using (var response = await stack.Api.PostAsJsonAsync("/lightrag/ingest-async", JobAudit.Payload(options.Chunks, tag), cancel.Token))
    {
        var body = await response.Content.ReadAsStringAsync(cancel.Token);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            BenchLog.Write($"submission refused: {(int)response.StatusCode} {body}");
            return 1;
        }
        var answer = JsonDocument.Parse(body).RootElement;
        jobId = answer.GetProperty("job_id").GetString()!;
        accepted = answer.GetProperty("chunks_total").GetInt32();
    }
    BenchLog.Write($"job {jobId} accepted with {accepted} chunks");

    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(options.TimeoutSeconds);
    var clock = submitted;
    if (options.Fault != Fault.None)
    {
        // As the drills: strike once the job is under way (they wait for 40 of 400-600 chunks).
        var threshold = Math.Clamp(accepted / 10, 1, 40);
        while (DateTime.UtcNow < deadline && await JobProbe.ReadAsync(stack, jobId, cancel.Token) is var job && (job?.Processed ?? 0) < threshold)
        {
            if (job is { Finished: true }) break;
            await Task.Delay(200, cancel.Token);
        }
        BenchLog.Write($"injecting '{fault}'");
        clock = Stopwatch.StartNew();
        await FaultInjector.InjectAsync(stack, options, cancel.Token);
    }

    // Wait for the final state; the Api may answer errors (or not at all) while Redis is down.
    double? recoverySeconds = null;
    while (DateTime.UtcNow < deadline)
    {
        if (await JobProbe.ReadAsync(stack, jobId, cancel.Token) is { Finished: true })
        {
            recoverySeconds = Math.Round(clock.Elapsed.TotalSeconds, 1);
            break;
        }
        await Task.Delay(200, cancel.Token);
    }
    BenchLog.Write(recoverySeconds is null ? $"job did not finish within {options.TimeoutSeconds} s" : $"job finished {recoverySeconds} s after the {(options.Fault == Fault.None ? "submission" : "fault")}");

    JobAudit? audit = null;
    for (var attempt = 1; audit is null; attempt++)
    {
        try
        {
            audit = await JobAudit.OfAsync(stack, jobId);
        }
        catch (Exception e) when (attempt < 10 && !cancel.IsCancellationRequested)
        {
            BenchLog.Write($"audit attempt {attempt} failed: {e.Message}");
            await Task.Delay(TimeSpan.FromSeconds(2), cancel.Token);
        }
    }
    BenchLog.Write($"job status {audit.Status}");

    Console.Out.WriteLine(JsonSerializer.Serialize(new
    {
        fault,
        chunks = options.Chunks,
        accepted = audit.Accepted,
        processed = audit.Processed,
        dead_lettered = audit.DeadLettered,
        lost = audit.Lost,
        duplicated = audit.Duplicated,
        recovery_seconds = recoverySeconds,
    }));
    Console.Out.Flush();

    return audit.Lost == 0 && audit.Duplicated == 0 && recoverySeconds is not null && audit.Finished ? 0 : 1;
}
