using System.Text.Json;

namespace Shield.Contracts;

/// <summary>How the contracts are written and read: ASP.NET Core's web defaults, as the Api's minimal APIs use.</summary>
public static class ContractJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
