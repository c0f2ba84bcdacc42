using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Shield.Tests.Telemetry.Otlp;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Telemetry;

/// <summary>A span as an OTLP exporter sent it, with the service and instrumentation scope that sent it.</summary>
public sealed record ReceivedSpan(
    string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<(string TraceId, string SpanId)> Links,
    string Scope = "", DateTimeOffset StartTime = default)
{
    /// <summary>A span without a parent starts a trace of its own.</summary>
    public bool IsRoot => ParentSpanId.Length == 0;
}

/// <summary>
/// An OTLP/HTTP trace endpoint (<c>POST /v1/traces</c>, protobuf) on a free local port: the Api and Workers
/// processes export to it exactly as they export to the Aspire dashboard, so a test can read their spans.
/// </summary>
public sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private LoopbackServer _server = null!;

    private OtlpTraceReceiver()
    {
    }

    public Uri Endpoint => _server.Endpoint;

    public ConcurrentQueue<ReceivedSpan> Spans { get; } = new();

    /// <summary>When each metrics export arrived: proof that the services' exporters are running, even when they send no span.</summary>
    public ConcurrentQueue<DateTimeOffset> MetricExports { get; } = new();

    public static async Task<OtlpTraceReceiver> StartAsync()
    {
        var receiver = new OtlpTraceReceiver();
        receiver._server = await LoopbackServer.StartAsync(app =>
        {
            app.MapPost("/v1/traces", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                receiver.Add(ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
                context.Response.ContentType = "application/x-protobuf";
            });
            // Metrics and logs are exported to the same endpoint; accept and drop them.
            app.MapPost("/v1/metrics", () =>
            {
                receiver.MetricExports.Enqueue(DateTimeOffset.UtcNow);
                return Results.Ok();
            });
            app.MapPost("/v1/logs", () => Results.Ok());
        });
        return receiver;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private void Add(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var service = resourceSpans.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    Spans.Enqueue(new ReceivedSpan(service, Hex(span.TraceId), Hex(span.SpanId), Hex(span.ParentSpanId), span.Name, span.Kind,
                        span.Attributes.ToDictionary(a => a.Key, a => Text(a.Value)),
                        [.. span.Links.Select(l => (Hex(l.TraceId), Hex(l.SpanId)))],
                        scopeSpans.Scope?.Name ?? "",
                        DateTimeOffset.UnixEpoch.AddTicks((long)(span.StartTimeUnixNano / 100))));
                }
            }
        }
    }

    private static string Hex(Google.Protobuf.ByteString bytes) => Convert.ToHexStringLower(bytes.ToByteArray());

    private static string Text(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => value.StringValue,
        AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
        AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => "",
    };
}

/// <summary>OTLP's span kinds (they differ from <see cref="System.Diagnostics.ActivityKind"/> by one).</summary>
public static class OtlpSpanKind
{
    public const int Server = 2;
    public const int Producer = 4;
    public const int Consumer = 5;
}
