using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Keeps background housekeeping out of the traces: a client call (Redis, PostgreSQL, HTTP, gRPC) that no traced work
/// started — an idle consumer's read, the heartbeat, the reclaim and trim pass, the retry schedule's poll, a health
/// check's probe — would otherwise be a trace of its own, hundreds a minute on an idle stack. Everything else is
/// sampled as OpenTelemetry's default does (parent-based, always on), so the calls an ingestion makes under its request,
/// consumer and stage spans stay in its trace. (The same idea as eShop keeping health checks out of its traces, applied
/// where the spans start.)
/// </summary>
public sealed class HousekeepingSampler : Sampler
{
    private readonly Sampler _default = new ParentBasedSampler(new AlwaysOnSampler());

    public HousekeepingSampler() => Description = nameof(HousekeepingSampler);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.ParentContext.TraceId == default && samplingParameters.Kind == ActivityKind.Client
            ? new SamplingResult(SamplingDecision.Drop)
            : _default.ShouldSample(samplingParameters);
}
