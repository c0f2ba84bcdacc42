namespace Shield.AppHost.Qdrant;

/// <summary>
/// Stand-in for Aspire.Hosting.Qdrant, which this package feed does not serve. Same method shapes,
/// resource names and connection strings (<c>Endpoint={grpc url};Key={key}</c> plus <c>{name}_http</c>).
/// </summary>
public static class QdrantHostingExtensions
{
    private const string Registry = "docker.io";
    private const string Image = "qdrant/qdrant";
    private const string Tag = "v1.19.1";
    private const int GrpcPort = 6334;
    private const int HttpPort = 6333;

    public static IResourceBuilder<QdrantServerResource> AddQdrant(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<ParameterResource>? apiKey = null,
        int? grpcPort = null,
        int? httpPort = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        // Qdrant's key travels in an HTTP header, where some punctuation needs escaping; keep it alphanumeric.
        var apiKeyParameter = apiKey?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-Key", special: false);
        var qdrant = new QdrantServerResource(name, apiKeyParameter);

        return builder.AddResource(qdrant)
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithIconName("DatabaseSearch")
            .WithHttpEndpoint(port: grpcPort, targetPort: GrpcPort, name: QdrantServerResource.PrimaryEndpointName)
            .WithEndpoint(QdrantServerResource.PrimaryEndpointName, endpoint => endpoint.Transport = "http2")
            .WithHttpEndpoint(port: httpPort, targetPort: HttpPort, name: QdrantServerResource.HttpEndpointName)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["QDRANT__SERVICE__API_KEY"] = qdrant.ApiKeyParameter;
                if (builder.ExecutionContext.IsPublishMode)
                {
                    // The web dashboard is a development tool; do not ship it.
                    context.EnvironmentVariables["QDRANT__SERVICE__ENABLE_STATIC_CONTENT"] = "0";
                }
            })
            // Qdrant serves its probes without the API key, so a plain HTTP check is enough.
            .WithHttpHealthCheck("/readyz", endpointName: QdrantServerResource.HttpEndpointName)
            .WithUrlForEndpoint(QdrantServerResource.PrimaryEndpointName, url =>
            {
                url.DisplayText = "Qdrant (gRPC)";
                url.DisplayLocation = UrlDisplayLocation.DetailsOnly; // a browser cannot open a gRPC URL
            })
            .WithUrlForEndpoint(QdrantServerResource.HttpEndpointName, url => url.DisplayText = "Qdrant (HTTP)");
    }

    public static IResourceBuilder<QdrantServerResource> WithDataVolume(
        this IResourceBuilder<QdrantServerResource> builder, string? name = null, bool isReadOnly = false) =>
        builder.WithVolume(name ?? VolumeNameGenerator.Generate(builder, "data"), "/qdrant/storage", isReadOnly);

    /// <summary>
    /// References the gRPC connection string as <c>ConnectionStrings__{name}</c> and the REST one as
    /// <c>ConnectionStrings__{name}_http</c>, as the official integration does.
    /// </summary>
    public static IResourceBuilder<TDestination> WithReference<TDestination>(
        this IResourceBuilder<TDestination> builder, IResourceBuilder<QdrantServerResource> qdrant)
        where TDestination : IResourceWithEnvironment
    {
        ResourceBuilderExtensions.WithReference(builder, (IResourceBuilder<IResourceWithConnectionString>)qdrant);
        return builder.WithEnvironment(
            $"ConnectionStrings__{qdrant.Resource.Name}_{QdrantServerResource.HttpEndpointName}",
            qdrant.Resource.HttpConnectionStringExpression);
    }
}
