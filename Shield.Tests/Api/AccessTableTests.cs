using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Shield.Api.Security;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Api;

/// <summary>
/// Every endpoint the Api maps × {no key, wrong key, read key, write key} → the status each gets, against the real
/// stack. The rows are checked against the Api's own endpoint list, so an endpoint added without a row (or a row
/// whose endpoint is gone) fails here until someone decides who may call it.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class AccessTableTests(ShieldStackFixture stack)
{
    private const string UnknownJob = "0193a6f2-0000-7000-8000-00000000a11e";
    private const string UnknownDocument = "doc-00000000000000000000000000a11e00";

    /// <summary>How to call one endpoint (<c>ANY</c>: it answers every method; called with GET), and what each caller gets.</summary>
    public sealed record Row(string Method, string Pattern, string Path, Func<HttpContent>? Body, int NoKey, int WrongKey, int ReadKey, int WriteKey)
    {
        public string Name => $"{Method} {Pattern}";
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Text of its own: chunk ids are content hashes, and this job is not waited for, so it must share no chunk with another test's job.</summary>
    private static HttpContent UniqueSubmission() => JsonContent.Create(new
    {
        chunks = new[] { new { text = $"Access table chunk {Guid.NewGuid():N}.", source_uri = "access-table://1" } },
        source_type = "access-table",
    });

    /// <summary>A text of its own, for the same reason: a text seen before is an existing document (200, not 202).</summary>
    private static HttpContent UniqueDocument() => JsonContent.Create(new { text = $"Access table document {Guid.NewGuid():N}.", source_name = "access-table.txt" });

    private static readonly Row[] Table =
    [
        // Open to all: orchestrators' probes, and the session endpoints the jobs page signs in through (their posts need the antiforgery token).
        new("ANY", "/health", "/health", null, 200, 200, 200, 200),
        new("ANY", "/alive", "/alive", null, 200, 200, 200, 200),
        new("GET", "/session", "/session", null, 200, 200, 200, 200),
        new("POST", "/session", "/session", () => new FormUrlEncodedContent([new("api_key", "whatever-it-is-long-enough")]), 400, 400, 400, 400),
        new("POST", "/session/sign-out", "/session/sign-out", () => new FormUrlEncodedContent([]), 400, 400, 400, 400),
        // Scalar.AspNetCore serves its own script bundle and icon to anyone (as the jobs page's files are): they hold no data.
        new("GET", "/scalar/scalar.js", "/scalar/scalar.js", null, 200, 200, 200, 200),
        new("GET", "/scalar/scalar.aspnetcore.js", "/scalar/scalar.aspnetcore.js", null, 200, 200, 200, 200),
        new("GET", "/scalar/favicon.svg", "/scalar/favicon.svg", null, 200, 200, 200, 200),

        // Reads.
        new("GET", "/openapi/{documentName}.json", "/openapi/v1.json", null, 401, 401, 200, 200),
        new("GET", "/scalar/{documentName?}", "/scalar/", null, 401, 401, 200, 200),
        new("GET", "/jobs", "/jobs?limit=1", null, 401, 401, 200, 200),
        new("GET", "/jobs/{job_id}", $"/jobs/{UnknownJob}", null, 401, 401, 404, 404),
        new("GET", "/events/stream", "/events/stream", null, 401, 401, 200, 200),
        new("GET", "/health/detailed", "/health/detailed", null, 401, 401, 200, 200),
        new("GET", "/graph/entities/{name}", "/graph/entities/No%20Such%20Entity", null, 401, 401, 404, 404),
        new("GET", "/graph/entities/{name}/relations", "/graph/entities/No%20Such%20Entity/relations", null, 401, 401, 404, 404),
        new("POST", "/lightrag/query", "/lightrag/query", () => Json("""{"query": "Who wrote the first program?", "mode": "naive", "top_k": 1}"""), 401, 401, 200, 200),
        new("GET", "/documents", "/documents?limit=1", null, 401, 401, 200, 200),
        new("GET", "/documents/{document_id}", $"/documents/{UnknownDocument}", null, 401, 401, 404, 404),

        // Writes: a read key is authenticated but not allowed (403).
        new("POST", "/lightrag/ingest-async", "/lightrag/ingest-async", UniqueSubmission, 401, 401, 403, 202),
        new("DELETE", "/jobs/{job_id}", $"/jobs/{UnknownJob}", null, 401, 401, 403, 404),
        new("POST", "/documents", "/documents", UniqueDocument, 401, 401, 403, 202),
        new("DELETE", "/documents/{document_id}", $"/documents/{UnknownDocument}", null, 401, 401, 403, 404),
        new("POST", "/jobs/{job_id}/retry", $"/jobs/{UnknownJob}/retry", null, 401, 401, 403, 404),
    ];

    public static TheoryData<string> Rows => [.. Table.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_caller_gets_the_status_in_the_table(string name)
    {
        var row = Table.Single(r => r.Name == name);
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");

        foreach (var (caller, key, expected) in new[]
        {
            ("no key", null, row.NoKey),
            ("a wrong key", stack.ReadKey + "-wrong", row.WrongKey),
            ("the read key", stack.ReadKey, row.ReadKey),
        })
        {
            await AssertStatusAsync(row, caller, key, expected);
        }
        // Nothing a refused caller sent was recorded.
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));

        await AssertStatusAsync(row, "the write key", stack.ApiKey, row.WriteKey);
    }

    [Fact]
    public async Task Every_endpoint_the_Api_maps_has_a_row_and_states_who_may_call_it()
    {
        await using var api = InProcessApi.Start(stack, new Dictionary<string, string?> { ["Shield:Api:ApiKey"] = stack.ApiKey });
        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var mapped = endpoints
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order().ToList();

        Assert.True(Table.Select(r => r.Name).Order().SequenceEqual(mapped),
            $"rows without an endpoint: {string.Join(", ", Table.Select(r => r.Name).Except(mapped))}; endpoints without a row: {string.Join(", ", mapped.Except(Table.Select(r => r.Name)))}");

        // None relies on the fallback policy: each is in the read group, the write group, or explicitly open.
        foreach (var endpoint in endpoints)
        {
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            var open = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            Assert.True(open || policies.Contains(ShieldPolicies.Read) || policies.Contains(ShieldPolicies.Write),
                $"{endpoint.DisplayName} states no policy");
        }
        var openEndpoints = endpoints.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText).Distinct().Order();
        Assert.Equal(["/alive", "/health", "/scalar/favicon.svg", "/scalar/scalar.aspnetcore.js", "/scalar/scalar.js", "/session", "/session/sign-out"], openEndpoints);
    }

    private async Task AssertStatusAsync(Row row, string caller, string? key, int expected)
    {
        using var client = stack.CreateApiClient(key);
        using var request = new HttpRequestMessage(new HttpMethod(row.Method == "ANY" ? "GET" : row.Method), row.Path) { Content = row.Body?.Invoke() };
        // Headers only: the event stream never ends by itself.
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = expected == 200 && row.Pattern == "/events/stream" ? "(stream)" : await response.Content.ReadAsStringAsync();

        Assert.True((int)response.StatusCode == expected, $"{row.Name} with {caller}: expected {expected}, got {(int)response.StatusCode}: {body}");
        if (expected is 401 or 403)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        if (expected == 401)
        {
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
        }
    }
}
