using Shield.Tests.Infrastructure;

namespace Shield.Tests.Resilience;

/// <summary>
/// A stack of its own for the fault drills: four Workers processes (the drills take three of them away), and short timeouts so an
/// abandoned entry is reclaimed within seconds instead of the production five minutes.
/// </summary>
public sealed class ResilienceStackFixture : ShieldStackFixture
{
    protected override IEnumerable<string> ExtraArguments =>
    [
        "--Shield:Workers:Replicas=4",
        "--Shield:Workers:TimeoutSeconds=8",
        "--Shield:Workers:HealthCheckInterval=2",
        "--Shield:Workers:GracefulShutdownTimeout=20",
        "--Shield:Workers:BatchSize=4",
    ];
}

[CollectionDefinition(Name)]
public sealed class ResilienceCollection : ICollectionFixture<ResilienceStackFixture>
{
    public const string Name = "Shield resilience drills";
}
