using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Api;

/// <summary>
/// Every malformed request gets a 4xx RFC 7807 problem document, never a 5xx, and leaves nothing behind:
/// no job row in PostgreSQL and no entry on the ingestion stream.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class BadInputTests(ShieldStackFixture stack)
{
    private const string Ingest = "/lightrag/ingest-async";
    private const string Json = "application/json";

    private static string Chunk(string text = "\"hello\"", string uri = "\"test://1\"") => $$"""{"text": {{text}}, "source_uri": {{uri}}}""";
    private static string Body(string chunks, string sourceType = "\"test\"") => $$"""{"chunks": [{{chunks}}], "source_type": {{sourceType}}}""";

    public static TheoryData<string, string, string?, int> Cases() => new()
    {
        // name, body, content type, expected status
        { "malformed JSON", "{\"chunks\": [", Json, 400 },
        { "truncated JSON", Body(Chunk())[..^3], Json, 400 },
        { "not JSON at all", "chunks=hello", Json, 400 },
        { "empty body", "", Json, 400 },
        { "JSON null", "null", Json, 400 },
        { "JSON array instead of object", "[]", Json, 400 },
        { "JSON string instead of object", "\"chunks\"", Json, 400 },
        { "wrong content type", Body(Chunk()), "text/plain", 415 },
        { "form content type", Body(Chunk()), "application/x-www-form-urlencoded", 415 },
        { "no content type", Body(Chunk()), null, 415 },
        { "chunks missing", """{"source_type": "test"}""", Json, 400 },
        { "chunks null", """{"chunks": null, "source_type": "test"}""", Json, 400 },
        { "chunks empty", """{"chunks": [], "source_type": "test"}""", Json, 400 },
        { "chunks not an array", """{"chunks": {"text": "a"}, "source_type": "test"}""", Json, 400 },
        { "chunk is null", Body("null"), Json, 400 },
        { "chunk is a string", Body("\"just text\""), Json, 400 },
        { "text missing", Body("""{"source_uri": "test://1"}"""), Json, 400 },
        { "text null", Body(Chunk("null")), Json, 400 },
        { "text empty", Body(Chunk("\"\"")), Json, 400 },
        { "text whitespace only", Body(Chunk("\"  \\n\\t \"")), Json, 400 },
        { "text is a number", Body(Chunk("42")), Json, 400 },
        { "text is an object", Body(Chunk("{\"a\": 1}")), Json, 400 },
        { "source_uri missing", Body("""{"text": "hello"}"""), Json, 400 },
        { "source_uri empty", Body(Chunk(uri: "\"\"")), Json, 400 },
        { "source_uri a number", Body(Chunk(uri: "7")), Json, 400 },
        { "source_type missing", """{"chunks": [{"text": "a", "source_uri": "u"}]}""", Json, 400 },
        { "source_type empty", Body(Chunk(), "\"\""), Json, 400 },
        { "source_type too long", Body(Chunk(), "\"" + new string('t', 300) + "\""), Json, 400 },
        { "source_type a boolean", Body(Chunk(), "true"), Json, 400 },
        { "metadata not an object", """{"chunks": [{"text": "a", "source_uri": "u"}], "source_type": "t", "metadata": [1, 2]}""", Json, 400 },
        { "chunk metadata a string", Body("""{"text": "a", "source_uri": "u", "metadata": "x"}"""), Json, 400 },
        { "unknown top-level field", """{"chunks": [{"text": "a", "source_uri": "u"}], "source_type": "t", "priority": 1}""", Json, 400 },
        { "unknown chunk field", Body("""{"text": "a", "source_uri": "u", "txt": "typo"}"""), Json, 400 },
        { "too many chunks", Body(string.Join(",", Enumerable.Repeat(Chunk(), 1001))), Json, 400 },
        { "huge chunk text", Body(Chunk("\"" + new string('x', 70 * 1024) + "\"")), Json, 400 },
        { "deep nesting", Body(Chunk()).Replace("\"source_type\"", "\"metadata\": " + new string('[', 200) + new string(']', 200) + ", \"source_type\""), Json, 400 },
        { "duplicate property", """{"chunks": [{"text": "a", "source_uri": "u"}], "chunks": [], "source_type": "t"}""", Json, 400 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_submission_is_a_problem_and_enqueues_nothing(string name, string body, string? contentType, int expectedStatus)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(contentType);

        await stack.AssertRejectedWithoutEffectAsync(name, () => stack.Api.PostAsync(Ingest, content), expectedStatus);
    }

    [Fact]
    public async Task Invalid_utf8_is_a_problem_and_enqueues_nothing()
    {
        var bytes = Encoding.UTF8.GetBytes(Body(Chunk("\"abc__\""))).ToArray();
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xC3; // a lead byte followed by '_' is not valid UTF-8
        bytes[at + 1] = 0x28;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(Json);

        await stack.AssertRejectedWithoutEffectAsync("invalid UTF-8", () => stack.Api.PostAsync(Ingest, content), 400);
    }

    [Fact]
    public async Task Oversized_body_is_a_413_problem_and_enqueues_nothing()
    {
        // Larger than the 16 MiB request limit, made of chunks that are each valid on their own.
        var chunk = Chunk("\"" + new string('y', 60 * 1024) + "\"");
        var body = Body(string.Join(",", Enumerable.Repeat(chunk, 300)));
        using var content = new StringContent(body, Encoding.UTF8, Json);

        await stack.AssertRejectedWithoutEffectAsync("oversized body", () => stack.Api.PostAsync(Ingest, content), 413);
    }

    [Theory]
    [InlineData("/jobs/not-a-uuid", 400)]
    [InlineData("/jobs/12345", 400)]
    [InlineData("/jobs/00000000-0000-0000-0000-00000000000g", 400)]
    [InlineData("/jobs/3f2c5d4e-0000-4000-8000-000000000000", 404)]
    [InlineData("/events/stream?job_id=not-a-uuid", 400)]
    [InlineData("/no/such/route", 404)]
    [InlineData("/jobs?limit=0", 400)]
    [InlineData("/jobs?limit=101", 400)]
    [InlineData("/jobs?limit=many", 400)]
    public async Task Bad_reads_are_problems(string path, int expectedStatus)
    {
        await stack.AssertRejectedWithoutEffectAsync(path, () => stack.Api.GetAsync(path), expectedStatus);
    }
}
