using Shield.Tests.Infrastructure;

namespace Shield.Tests.Resilience;

/// <summary>
/// A stack of its own for the fault drills: four Workers processes (the drills take three of them away), and short timeouts so an
/// abandoned entry is reclaimed within seconds instead of the production five minutes.
/// </summary>
public sealed class ResilienceStackFixture : ShieldStackFixture
{
    protected override IEnumerable<string> ExtraArguments => ShieldStackOptions.FaultDrillWorkers(replicas: 4);
}

[CollectionDefinition(Name)]
public sealed class ResilienceCollection : ICollectionFixture<ResilienceStackFixture>
{
    public const string Name = "Shield resilience drills";
}
