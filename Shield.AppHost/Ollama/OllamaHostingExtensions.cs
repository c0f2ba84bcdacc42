using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Shield.AppHost.Ollama;

/// <summary>
/// Stand-in for CommunityToolkit.Aspire.Hosting.Ollama, which this package feed does not serve:
/// <c>AddOllama(name).AddModel(resourceName, modelName)</c> with the same connection strings.
/// </summary>
public static class OllamaHostingExtensions
{
    private const string Registry = "docker.io";
    private const string Image = "ollama/ollama";
    private const string Tag = "0.13.0";
    private const int OllamaPort = 11434;

    public static IResourceBuilder<OllamaResource> AddOllama(
        this IDistributedApplicationBuilder builder, string name, int? port = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);

        return builder.AddResource(new OllamaResource(name))
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithIconName("BrainCircuit")
            .WithHttpEndpoint(port: port, targetPort: OllamaPort, name: OllamaResource.PrimaryEndpointName)
            // Ollama listens on 127.0.0.1 unless told otherwise, which is unreachable through the container's port mapping.
            .WithEnvironment("OLLAMA_HOST", "0.0.0.0:11434")
            .WithHttpHealthCheck("/");
    }

    /// <summary>Keeps pulled models across container restarts; they are gigabytes.</summary>
    public static IResourceBuilder<OllamaResource> WithDataVolume(
        this IResourceBuilder<OllamaResource> builder, string? name = null, bool isReadOnly = false) =>
        builder.WithVolume(name ?? VolumeNameGenerator.Generate(builder, "data"), "/root/.ollama", isReadOnly);

    /// <summary>
    /// An Ollama server already running outside the AppHost (<c>Endpoint=http://host:11434</c>); models added to it
    /// are pulled onto it when the AppHost starts.
    /// </summary>
    public static IResourceBuilder<OllamaExternalServerResource> AddExternalOllama(
        this IDistributedApplicationBuilder builder, string name, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.AddResource(new OllamaExternalServerResource(name, endpoint))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "OllamaServer",
                // Running, not a custom state: waiting for a model also waits for its parent server to be running.
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
                Properties = [new(CustomResourceKnownProperties.Source, endpoint.ToString())],
            })
            .WithIconName("BrainCircuit");
    }

    /// <summary>
    /// Adds a model that is pulled (POST /api/pull) as soon as the server is healthy. The model resource
    /// shows "Pulling" meanwhile and turns Running and healthy once the server lists it.
    /// </summary>
    public static IResourceBuilder<OllamaModelResource> AddModel<TServer>(
        this IResourceBuilder<TServer> builder, string name, string modelName)
        where TServer : IOllamaServerResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);

        var appBuilder = builder.ApplicationBuilder;
        var model = new OllamaModelResource(name, modelName, builder.Resource);

        var healthCheckKey = $"{name}_check";
        appBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new OllamaModelHealthCheck(model), failureStatus: null, tags: null));

        if (appBuilder.ExecutionContext.IsRunMode)
        {
            void StartPull(IServiceProvider services, TimeSpan? retryUntilReachable)
            {
                var notifications = services.GetRequiredService<ResourceNotificationService>();
                var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(model);
                var stopping = services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;

                // Not awaited: a first pull takes minutes and must not hold up the event pipeline.
                _ = Task.Run(() => EnsurePulledAsync(model, notifications, logger, retryUntilReachable, stopping), stopping);
            }

            if (builder.Resource is OllamaResource)
            {
                appBuilder.Eventing.Subscribe<ResourceReadyEvent>(builder.Resource, (e, _) =>
                {
                    StartPull(e.Services, retryUntilReachable: null);
                    return Task.CompletedTask;
                });
            }
            else
            {
                // An external server has no lifecycle here; it may still be starting, so keep trying for a while.
                // Started from the model's own initialisation, after its initial state is published (an earlier
                // start could have its "Running" overwritten by that initial state), and not after all resources are
                // created: that waits for the services, which wait for the models.
                appBuilder.Eventing.Subscribe<InitializeResourceEvent>(model, (e, _) =>
                {
                    StartPull(e.Services, retryUntilReachable: TimeSpan.FromMinutes(5));
                    return Task.CompletedTask;
                });
            }
        }

        return appBuilder.AddResource(model)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "OllamaModel",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, modelName)],
            })
            .WithIconName("BrainCircuit")
            .WithHealthCheck(healthCheckKey);
    }

    private static async Task EnsurePulledAsync(
        OllamaModelResource model, ResourceNotificationService notifications, ILogger logger,
        TimeSpan? retryUntilReachable, CancellationToken cancellationToken)
    {
        try
        {
            var server = model.Parent.ServerUri;
            if (await HasModelAsync(server, model.ModelName, logger, retryUntilReachable, cancellationToken).ConfigureAwait(false))
            {
                logger.LogInformation("{Model} is already present", model.ModelName);
            }
            else
            {
                await notifications.PublishUpdateAsync(model, s => s with
                {
                    State = new ResourceStateSnapshot($"Pulling {model.ModelName}", KnownResourceStateStyles.Info),
                }).ConfigureAwait(false);
                await OllamaApi.PullAsync(server, model.ModelName, logger, cancellationToken).ConfigureAwait(false);
            }

            await notifications.PublishUpdateAsync(model, s => s with
            {
                State = new ResourceStateSnapshot(KnownResourceStates.Running, KnownResourceStateStyles.Success),
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The AppHost is shutting down mid-pull; Ollama resumes partial downloads next time.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Pulling {Model} failed", model.ModelName);
            await notifications.PublishUpdateAsync(model, s => s with
            {
                State = new ResourceStateSnapshot("Pull failed", KnownResourceStateStyles.Error),
            }).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the server for its models; an unreachable server is asked again every few seconds for <paramref name="retryFor"/>.</summary>
    private static async Task<bool> HasModelAsync(Uri server, string model, ILogger logger, TimeSpan? retryFor, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + (retryFor ?? TimeSpan.Zero);
        while (true)
        {
            try
            {
                return await OllamaApi.HasModelAsync(server, model, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (DateTimeOffset.UtcNow < deadline)
            {
                logger.LogWarning("Ollama at {Server} is not answering yet ({Error}); trying again", server, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
