using System.Net;
using System.Text;
using System.Text.Json;

namespace Shield.Cli.Api;

/// <summary>An RFC 7807 problem document (or whatever the server answered instead), ready to be shown to a person.</summary>
public sealed record ProblemDocument(int Status, string? Title, string? Detail, IReadOnlyDictionary<string, string[]> Errors)
{
    public static ProblemDocument Parse(HttpStatusCode status, string body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in fields.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? field.Value.EnumerateArray().Select(e => e.ToString()).ToArray()
                            : [field.Value.ToString()];
                    }
                }
                return new ProblemDocument((int)status, StringOf(root, "title"), StringOf(root, "detail"), errors);
            }
        }
        catch (JsonException)
        {
        }
        var text = body.Trim();
        return new ProblemDocument((int)status, null, text.Length == 0 ? null : text.Length > 300 ? text[..300] + "…" : text, errors);
    }

    /// <summary>One line (<c>401 API key required: The API key is not valid.</c>), then one per field error.</summary>
    public override string ToString()
    {
        var reason = Title ?? ReasonPhrase(Status);
        var text = new StringBuilder($"{Status} {reason}");
        if (!string.IsNullOrWhiteSpace(Detail) && Detail != reason) text.Append(": ").Append(Detail);
        foreach (var (field, messages) in Errors)
        {
            foreach (var message in messages)
            {
                text.Append('\n').Append("  ").Append(field).Append(": ").Append(message);
            }
        }
        return text.ToString();
    }

    private static string? StringOf(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string ReasonPhrase(int status) => Enum.IsDefined((HttpStatusCode)status) ? ((HttpStatusCode)status).ToString() : "error";
}
