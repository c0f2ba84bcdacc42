using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Shield.Cli.Api;

namespace Shield.Cli.Commands;

/// <summary>One readable line per event: time, type, job, and what the event says.</summary>
public static class EventFormatter
{
    public static string Format(ServerSentEvent sse)
    {
        ShieldEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<ShieldEvent>(sse.Data, ApiJson.Options);
        }
        catch (JsonException)
        {
            e = null;
        }
        if (e is null) return $"{sse.Event ?? "message"}  {sse.Data}";

        var time = (e.Timestamp ?? DateTimeOffset.Now).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var subject = e.JobId is null ? "" : $"  job {e.JobId}";
        return $"{time}  {e.EventType,-20}{subject}  {Describe(e)}".TrimEnd();
    }

    private static string Describe(ShieldEvent e)
    {
        var total = e.Int("chunks_total");
        var processed = e.Int("chunks_processed");
        var failed = e.Int("chunks_failed");
        return e.EventType switch
        {
            EventTypes.Queued => $"{Chunks(total)} queued" + (e.Text("source_type") is { } type ? $" (source type {type})" : ""),
            EventTypes.Started => Chunks(total),
            EventTypes.Progress => $"{processed + failed}/{total} chunks done, {failed} failed ({Percent(e)}%)",
            EventTypes.Completed or EventTypes.Failed or EventTypes.Cancelled =>
                $"{processed} processed, {failed} failed of {total}" +
                (e.Number("duration_seconds") is { } seconds ? $" in {seconds.ToString("0.###", CultureInfo.InvariantCulture)} s" : "") +
                (e.Text("error") is { } error ? $"; error: {error}" : ""),
            _ => string.Join(", ", (e.Data ?? []).Select(p => $"{p.Key}={Value(p.Value)}")),
        };
    }

    private static string Chunks(int? count) => count == 1 ? "1 chunk" : $"{count} chunks";

    private static string Percent(ShieldEvent e) =>
        (e.Number("percent_complete") ?? 0).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Value(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : node?.ToJsonString() ?? "null";
}
