using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace Shield.Knowledge.Qdrant;

/// <summary>JSON payloads (what <see cref="VectorPoint.PayloadJson"/> carries) to Qdrant values and back.</summary>
public static class QdrantPayload
{
    public static Dictionary<string, Value> FromJson(string payloadJson)
    {
        using var document = JsonDocument.Parse(payloadJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("A vector payload must be a JSON object.", nameof(payloadJson));
        }
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value));
    }

    public static string ToJson(MapField<string, Value> payload)
    {
        var json = new JsonObject();
        foreach (var (key, value) in payload)
        {
            json[key] = ToNode(value);
        }
        return json.ToJsonString();
    }

    private static Value ToValue(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => new Value { StringValue = element.GetString() },
        JsonValueKind.Number when element.TryGetInt64(out var integer) => new Value { IntegerValue = integer },
        JsonValueKind.Number => new Value { DoubleValue = element.GetDouble() },
        JsonValueKind.True => new Value { BoolValue = true },
        JsonValueKind.False => new Value { BoolValue = false },
        JsonValueKind.Array => new Value { ListValue = new ListValue { Values = { element.EnumerateArray().Select(ToValue) } } },
        JsonValueKind.Object => new Value { StructValue = new Struct { Fields = { element.EnumerateObject().ToDictionary(p => p.Name, p => ToValue(p.Value)) } } },
        _ => new Value { NullValue = NullValue.NullValue },
    };

    private static JsonNode? ToNode(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.StringValue => JsonValue.Create(value.StringValue),
        Value.KindOneofCase.IntegerValue => JsonValue.Create(value.IntegerValue),
        Value.KindOneofCase.DoubleValue => JsonValue.Create(value.DoubleValue),
        Value.KindOneofCase.BoolValue => JsonValue.Create(value.BoolValue),
        Value.KindOneofCase.ListValue => new JsonArray([.. value.ListValue.Values.Select(ToNode)]),
        Value.KindOneofCase.StructValue => new JsonObject(value.StructValue.Fields.Select(f => KeyValuePair.Create(f.Key, ToNode(f.Value)))),
        _ => null,
    };
}
