using System.Diagnostics;
using Shield.Workers.Pool;

namespace Shield.Workers.Processing;

/// <summary>
/// One step of a chunk's pipeline as a span (under the chunk's consumer span, above the Redis, PostgreSQL, model
/// and Qdrant calls it makes) and a sample of <c>shield.pipeline.stage.duration</c>, tagged with the stage, so
/// both the trace and the metrics say where a chunk's time goes.
/// </summary>
public sealed class PipelineStage : IDisposable
{
    private readonly Activity? _activity;
    private readonly string _stage;
    private readonly long _started = Stopwatch.GetTimestamp();
    private bool _disposed;

    private PipelineStage(string stage)
    {
        _stage = stage;
        _activity = WorkerTelemetry.ActivitySource.StartActivity(stage);
    }

    public static PipelineStage Start(string stage) => new(stage);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        WorkerTelemetry.StageDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, new KeyValuePair<string, object?>("stage", _stage));
        _activity?.Dispose();
    }
}
