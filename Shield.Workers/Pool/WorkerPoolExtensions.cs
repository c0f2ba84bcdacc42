using Microsoft.Extensions.Options;
using Shield.Ingestion.Jobs;
using Shield.Ingestion.Streams;

namespace Shield.Workers.Pool;

public static class WorkerPoolExtensions
{
    /// <summary>The consumer pool, its heartbeat, and a host shutdown window that fits the graceful timeout.</summary>
    public static IHostApplicationBuilder AddWorkerPool(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The host must wait for the drain: its default 30 s would cut the pool's 60 s short.
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<WorkerOptions>>((host, workers) =>
                host.ShutdownTimeout = TimeSpan.FromSeconds(workers.Value.GracefulShutdownTimeout + 10));

        builder.Services.AddSingleton<WorkerIdentity>();
        builder.Services.AddSingleton<PoolState>();
        // Idle consumers wait on the queue's wake channel (published by the Api after enqueueing) instead of polling.
        builder.Services.AddSingleton(new RedisWakeSignal(IngestionStream.WakeChannel));
        // Registered before the pool so it stops after it and writes what the last chunks queued. JobStore picks it
        // up (an optional dependency): the Workers coalesce running jobs' PostgreSQL progress, the Api never queues any.
        builder.Services.AddSingleton<DurableProgressWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DurableProgressWriter>());
        builder.Services.AddSingleton<OutcomeRecorder>();
        builder.Services.AddSingleton<RecentJobStarts>();
        builder.Services.AddSingleton<ChunkHandler>();
        builder.Services.AddSingleton<RetrySchedule>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetrySchedule>());
        builder.Services.AddHostedService<WorkerPool>();
        builder.Services.AddHostedService<HeartbeatService>();
        return builder;
    }
}
