using Shield.Tests.Telemetry;

namespace Shield.Tests.Infrastructure;

/// <summary>
/// Starts the real AppHost once for all end-to-end tests (<see cref="ShieldStack"/>: redis-server and PostgreSQL as
/// local executables, then the Api and Workers projects, data in a fresh temporary folder), with the keys and low
/// limits the tests reach, and the services exporting their spans to <see cref="Traces"/>.
/// </summary>
public class ShieldStackFixture : ShieldStack, IAsyncLifetime
{
    /// <summary>The Api with the stack's read key.</summary>
    public HttpClient ReadApi { get; private set; } = null!;

    /// <summary>The Api without any API key.</summary>
    public HttpClient AnonymousApi { get; private set; } = null!;

    /// <summary>The write key: the first of the AppHost parameter <c>api-key</c>, the one <see cref="ShieldStack.Api"/> sends.</summary>
    public string ApiKey { get; } = "test-key-" + Guid.NewGuid().ToString("N");

    /// <summary>The read key: the first of the AppHost parameter <c>api-read-key</c>.</summary>
    public string ReadKey { get; } = "test-read-key-" + Guid.NewGuid().ToString("N");

    /// <summary>A second write key (two keys per scope, as while one is rotated), whose write budget only the rate-limit test spends.</summary>
    public string RateLimitWriteKey { get; } = "test-rate-write-" + Guid.NewGuid().ToString("N");

    /// <summary>A further read key whose read budget only the read rate-limit test spends.</summary>
    public string RateLimitReadKey { get; } = "test-rate-read-" + Guid.NewGuid().ToString("N");

    /// <summary>Two further read keys, two clients for the event-stream limit test.</summary>
    public IReadOnlyList<string> StreamLimitKeys { get; } = ["test-streams-a-" + Guid.NewGuid().ToString("N"), "test-streams-b-" + Guid.NewGuid().ToString("N")];

    /// <summary>Event streams per client and in all, low enough for a test to reach (the CLI opens up to 8 at once).</summary>
    public const int MaxEventStreamsPerClient = 10;
    public const int MaxEventStreams = 20;

    /// <summary>Half the default read budget, so the read rate-limit test reaches it sooner; still 50 a second for every other test.</summary>
    public const int ReadRequestsPerMinute = 3000;

    /// <summary>Unfinished chunks beyond which submissions are refused, set low so the limit can be reached in a test.</summary>
    public const int MaxBacklog = 2500;

    /// <summary>Further AppHost settings of a derived fixture.</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    /// <summary>What a derived fixture must have running before the AppHost starts (a model server, say).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>What a derived fixture stops after the AppHost.</summary>
    protected virtual ValueTask AfterStopAsync() => ValueTask.CompletedTask;

    /// <summary>Every span the Api and Workers export (they export to it as they would to the dashboard).</summary>
    public OtlpTraceReceiver Traces { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await BeforeStartAsync();
        Traces = await OtlpTraceReceiver.StartAsync();
        await LaunchAsync(new ShieldStackOptions
        {
            DataDirectoryPrefix = "shield-tests-",
            WriteKeys = [ApiKey, RateLimitWriteKey],
            ReadKeys = [ReadKey, RateLimitReadKey, .. StreamLimitKeys],
            AppHostArguments =
            [
                $"--Shield:Api:MaxEventStreamsPerClient={MaxEventStreamsPerClient}",
                $"--Shield:Api:MaxEventStreams={MaxEventStreams}",
                $"--Shield:Api:ReadRequestsPerMinute={ReadRequestsPerMinute}",
                $"--Shield:Ingestion:MaxBacklog={MaxBacklog}",
                .. ExtraArguments,
            ],
            OtlpEndpoint = Traces.Endpoint,
        });
        ReadApi = CreateApiClient(ReadKey);
        AnonymousApi = CreateApiClient(null);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    protected override async ValueTask DisposeCoreAsync()
    {
        ReadApi?.Dispose();
        AnonymousApi?.Dispose();
        try
        {
            await base.DisposeCoreAsync();
        }
        finally
        {
            await AfterStopAsync();
            if (Traces is not null) await Traces.DisposeAsync();
        }
    }
}

/// <summary>Tests that share one running stack run one after another, so their counts don't interfere.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<ShieldStackFixture>
{
    public const string Name = "Shield stack";
}
