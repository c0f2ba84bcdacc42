using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Shield.Api.Security;

namespace Shield.Api.Events;

/// <summary>
/// How many event streams may be open at once, per client (<see cref="ApiSecurityOptions.MaxEventStreamsPerClient"/>)
/// and in all (<see cref="ApiSecurityOptions.MaxEventStreams"/>). A stream holds its slot until it ends: a
/// concurrency limit, not a rate, so the rate limiter's per-request budget does not cover it.
/// </summary>
public sealed record EventStreamHealth(
    [property: System.Text.Json.Serialization.JsonPropertyName("open")] long Open,
    [property: System.Text.Json.Serialization.JsonPropertyName("max")] int Max,
    [property: System.Text.Json.Serialization.JsonPropertyName("max_per_client")] int MaxPerClient);

public sealed class EventStreamLimits : IDisposable
{
    private readonly ApiSecurityOptions _options;
    private readonly PartitionedRateLimiter<string> _perClient;
    private readonly ConcurrencyLimiter _overall;

    public EventStreamLimits(IOptions<ApiSecurityOptions> options)
    {
        _options = options.Value;
        _perClient = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetConcurrencyLimiter(client,
            _ => new ConcurrencyLimiterOptions { PermitLimit = _options.MaxEventStreamsPerClient, QueueLimit = 0 }));
        _overall = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = _options.MaxEventStreams, QueueLimit = 0 });
    }

    /// <summary>Streams open now, all clients together.</summary>
    public long Open => _options.MaxEventStreams - (_overall.GetStatistics()?.CurrentAvailablePermits ?? _options.MaxEventStreams);

    public EventStreamHealth Health => new(Open, _options.MaxEventStreams, _options.MaxEventStreamsPerClient);

    /// <summary>A slot for one stream of <paramref name="client"/>, or the problem to answer instead.</summary>
    public (IDisposable? Slot, IResult? Refusal) TryOpen(HttpContext context, string client)
    {
        var forClient = _perClient.AttemptAcquire(client);
        if (!forClient.IsAcquired)
        {
            forClient.Dispose();
            context.Response.Headers.RetryAfter = "10";
            return (null, TypedResults.Problem(
                $"This client already has {_options.MaxEventStreamsPerClient} event streams open (Shield:Api:MaxEventStreamsPerClient); close one first.",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Too many event streams"));
        }
        var overall = _overall.AttemptAcquire();
        if (!overall.IsAcquired)
        {
            overall.Dispose();
            forClient.Dispose();
            context.Response.Headers.RetryAfter = "10";
            return (null, TypedResults.Problem(
                $"The Api already serves {_options.MaxEventStreams} event streams (Shield:Api:MaxEventStreams); try again after Retry-After seconds.",
                statusCode: StatusCodes.Status503ServiceUnavailable, title: "Event streams exhausted"));
        }
        return (new Slot(forClient, overall), null);
    }

    public void Dispose()
    {
        _perClient.Dispose();
        _overall.Dispose();
    }

    private sealed class Slot(RateLimitLease forClient, RateLimitLease overall) : IDisposable
    {
        public void Dispose()
        {
            overall.Dispose();
            forClient.Dispose();
        }
    }
}
