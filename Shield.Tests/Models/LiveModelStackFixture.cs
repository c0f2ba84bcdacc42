using Shield.Tests.Infrastructure;

namespace Shield.Tests.Models;

/// <summary>
/// The stack in live model mode: the AppHost is pointed at an Ollama server (<c>ConnectionStrings:ollama</c>, here
/// the <see cref="ScriptedOllamaServer"/>) that has no models yet, pulls the configured chat and embedding models
/// onto it, and the Workers extract, summarise and embed through OllamaSharp. Vectors stay in PostgreSQL (no
/// Qdrant server can run here). Short model timeouts, so a hanging model costs seconds, not minutes.
/// </summary>
public sealed class LiveModelStackFixture : ShieldStackFixture
{
    public const string ChatModel = "scripted-chat:1b";
    public const string EmbeddingModel = "scripted-embed";
    public const int ModelTimeoutSeconds = 4;

    public ScriptedOllamaServer Ollama { get; private set; } = null!;

    protected override async Task BeforeStartAsync() => Ollama = await ScriptedOllamaServer.StartAsync();

    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--ConnectionStrings:ollama=Endpoint={Ollama.Endpoint}",
        $"--Shield:Models:Chat={ChatModel}",
        $"--Shield:Models:Embedding={EmbeddingModel}",
        $"--Shield:Extraction:ModelTimeoutSeconds={ModelTimeoutSeconds}",
        "--Shield:Workers:HealthCheckInterval=2",
        // A killed worker's chunks are claimed back within half a minute, not the production five.
        "--Shield:Workers:TimeoutSeconds=20",
        // This stack also serves its metrics for a Prometheus scrape (off by default).
        "--Shield:Telemetry:Prometheus=true",
    ];

    protected override async ValueTask AfterStopAsync()
    {
        if (Ollama is not null) await Ollama.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LiveModelCollection : ICollectionFixture<LiveModelStackFixture>
{
    public const string Name = "Shield with a scripted Ollama server";
}
