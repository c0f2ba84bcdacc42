using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Health checks, resilience, OpenTelemetry and service discovery shared by Shield's services.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>Activity sources and meters of Shield's own code, registered with OpenTelemetry.</summary>
    public const string TelemetryName = "Shield";

    /// <summary>Microsoft.Extensions.AI's OpenTelemetry middleware (gen_ai spans and call durations of the model clients).</summary>
    private const string GenerativeAiTelemetryName = "Experimental.Microsoft.Extensions.AI";

    /// <summary><c>true</c> serves the metrics for Prometheus to scrape at <see cref="PrometheusEndpointPath"/>, beside OTLP.</summary>
    public const string PrometheusSwitch = "Shield:Telemetry:Prometheus";
    private const string PrometheusEndpointPath = "/metrics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // A service started by a local AppHost run stops when that run is gone (see OrphanedProcessGuard).
        builder.Services.AddOrphanedProcessGuard();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var prometheus = builder.Configuration.GetValue<bool>(PrometheusSwitch);
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(TelemetryName, GenerativeAiTelemetryName);
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            })
            .WithTracing(tracing => tracing
                // Background calls start no trace of their own; ingestions keep theirs whole.
                .SetSampler(new HousekeepingSampler())
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryName, GenerativeAiTelemetryName)
                .AddAspNetCoreInstrumentation(options =>
                    // Health probes and the long-lived event stream would drown the useful traces.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                        && !context.Request.Path.StartsWithSegments(PrometheusEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check must pass) and <c>/alive</c> (the process answers).
    /// Unlike the template these are mapped in every environment and open to anonymous callers even where the
    /// service requires authentication: the AppHost and orchestrators probe them without credentials, and the
    /// checks disclose no secrets, only healthy/unhealthy. <c>/metrics</c> gets no such exemption.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath).AllowAnonymous();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
        }).AllowAnonymous();
        if (app.Configuration.GetValue<bool>(PrometheusSwitch))
        {
            app.MapPrometheusScrapingEndpoint(PrometheusEndpointPath);
        }
        return app;
    }
}
