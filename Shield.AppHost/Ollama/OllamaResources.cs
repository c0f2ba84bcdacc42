namespace Shield.AppHost.Ollama;

/// <summary>
/// Ollama server container. Connection string <c>Endpoint=http://host:port</c>, as in the community
/// toolkit's integration, so OllamaSharp / Microsoft.Extensions.AI clients read it unchanged.
/// </summary>
public sealed class OllamaResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "http";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={PrimaryEndpoint.Property(EndpointProperty.Url)}");
}

/// <summary>
/// A model served by an <see cref="OllamaResource"/>: <c>Endpoint=...;Model=...</c>. It turns healthy only
/// once the server lists the model, so a service that waits for it never sees "model not found".
/// </summary>
public sealed class OllamaModelResource(string name, string modelName, OllamaResource parent)
    : Resource(name), IResourceWithParent<OllamaResource>, IResourceWithConnectionString
{
    public OllamaResource Parent { get; } = parent;

    public string ModelName { get; } = modelName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Model={ModelName}");
}
