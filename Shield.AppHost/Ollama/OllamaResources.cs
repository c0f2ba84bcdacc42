namespace Shield.AppHost.Ollama;

/// <summary>
/// Ollama server container. Connection string <c>Endpoint=http://host:port</c>, as in the community
/// toolkit's integration, so OllamaSharp / Microsoft.Extensions.AI clients read it unchanged.
/// </summary>
public sealed class OllamaResource(string name) : ContainerResource(name), IOllamaServerResource
{
    public const string PrimaryEndpointName = "http";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={PrimaryEndpoint.Property(EndpointProperty.Url)}");

    public Uri ServerUri => new(PrimaryEndpoint.Url);
}

/// <summary>An Ollama server the models can be pulled onto: the container, or one already running on the host.</summary>
public interface IOllamaServerResource : IResourceWithConnectionString
{
    /// <summary>Where the AppHost itself reaches the server (known once the server's endpoint is allocated).</summary>
    Uri ServerUri { get; }
}

/// <summary>
/// An Ollama server that runs outside the AppHost (<c>ollama serve</c> on a laptop without Docker, or a GPU box),
/// given as <c>ConnectionStrings:ollama</c>. The AppHost does not start it, but pulls the models onto it.
/// </summary>
public sealed class OllamaExternalServerResource(string name, Uri endpoint) : Resource(name), IOllamaServerResource
{
    public Uri ServerUri { get; } = endpoint;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={ServerUri.ToString().TrimEnd('/')}");
}

/// <summary>
/// A model served by an <see cref="OllamaResource"/>: <c>Endpoint=...;Model=...</c>. It turns healthy only
/// once the server lists the model, so a service that waits for it never sees "model not found".
/// </summary>
public sealed class OllamaModelResource(string name, string modelName, IOllamaServerResource parent)
    : Resource(name), IResourceWithParent<IOllamaServerResource>, IResourceWithConnectionString
{
    public IOllamaServerResource Parent { get; } = parent;

    public string ModelName { get; } = modelName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Model={ModelName}");
}
