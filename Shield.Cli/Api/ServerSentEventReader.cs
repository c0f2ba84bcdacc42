using System.Runtime.CompilerServices;
using System.Text;

namespace Shield.Cli.Api;

/// <summary>One event of a text/event-stream: its <c>id</c>, <c>event</c> name and (joined) <c>data</c> lines.</summary>
public sealed record ServerSentEvent(string? Id, string? Event, string Data);

/// <summary>
/// Parses text/event-stream as the HTML standard defines it: <c>field: value</c> lines (one optional space after the
/// colon), multi-line data joined with <c>\n</c>, comments (<c>:</c>) ignored, an event dispatched at a blank line.
/// </summary>
public static class ServerSentEventReader
{
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(
        TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        var hasData = false;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new ServerSentEvent(id, type, data.ToString());
                }
                type = null;
                data.Clear();
                hasData = false;
                continue;
            }
            if (line[0] == ':') continue;

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
                case "event":
                    type = value;
                    break;
                case "id" when !value.Contains('\0'):
                    // The last event id persists across events, as in EventSource.
                    id = value;
                    break;
            }
        }
    }
}
