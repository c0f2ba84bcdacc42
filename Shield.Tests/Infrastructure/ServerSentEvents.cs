using System.Text;
using System.Text.Json;

namespace Shield.Tests.Infrastructure;

public sealed record ServerSentEvent(string? Id, string? Event, string Data)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement;
}

/// <summary>A minimal text/event-stream reader, so tests see the stream exactly as a browser's EventSource would.</summary>
public static class ServerSentEvents
{
    /// <summary>Reads events until <paramref name="stop"/> returns true for one, or the timeout passes.</summary>
    public static async Task<List<ServerSentEvent>> ReadUntilAsync(
        HttpClient client, string url, Func<ServerSentEvent, bool> stop, TimeSpan timeout, string? lastEventId = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var events = new List<ServerSentEvent>();
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? id = null, type = null;
        var data = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0)
                    {
                        var sse = new ServerSentEvent(id, type, data.ToString());
                        events.Add(sse);
                        if (stop(sse)) return events;
                    }
                    id = type = null;
                    data.Clear();
                }
                else if (line.StartsWith("id:", StringComparison.Ordinal)) id = line[3..].Trim();
                else if (line.StartsWith("event:", StringComparison.Ordinal)) type = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal)) data.Append(line[5..].TrimStart());
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
        return events;
    }
}
