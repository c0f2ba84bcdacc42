namespace Shield.AppHost.Qdrant;

/// <summary>
/// Qdrant vector database container. Mirrors Aspire.Hosting.Qdrant's resource (endpoint names, connection
/// strings) so the official package can replace this one without touching the services.
/// </summary>
public sealed class QdrantServerResource(string name, ParameterResource apiKey)
    : ContainerResource(name), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "grpc";
    public const string HttpEndpointName = "http";

    private EndpointReference? _primaryEndpoint;
    private EndpointReference? _httpEndpoint;

    public ParameterResource ApiKeyParameter { get; } = apiKey;

    /// <summary>gRPC, which the .NET client uses by default.</summary>
    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    /// <summary>REST and the web dashboard.</summary>
    public EndpointReference HttpEndpoint => _httpEndpoint ??= new(this, HttpEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Endpoint={PrimaryEndpoint.Property(EndpointProperty.Url)};Key={ApiKeyParameter}");

    public ReferenceExpression HttpConnectionStringExpression => ReferenceExpression.Create(
        $"Endpoint={HttpEndpoint.Property(EndpointProperty.Url)};Key={ApiKeyParameter}");
}
