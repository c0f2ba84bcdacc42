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
    /// Adds a model that is pulled (POST /api/pull) as soon as the server is healthy. The model resource
    /// shows "Pulling" meanwhile and turns Running and healthy once the server lists it.
    /// </summary>
    public static IResourceBuilder<OllamaModelResource> AddModel(
        this IResourceBuilder<OllamaResource> builder, string name, string modelName)
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
            appBuilder.Eventing.Subscribe<ResourceReadyEvent>(builder.Resource, (e, eventCancellation) =>
            {
                var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
                var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(model);
                var stopping = e.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;

                // Not awaited: a first pull takes minutes and must not hold up the event pipeline.
                _ = Task.Run(() => EnsurePulledAsync(model, notifications, logger, stopping), stopping);
                return Task.CompletedTask;
            });
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
        OllamaModelResource model, ResourceNotificationService notifications, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            var server = new Uri(model.Parent.PrimaryEndpoint.Url);
            if (await OllamaApi.HasModelAsync(server, model.ModelName, cancellationToken).ConfigureAwait(false))
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
}
