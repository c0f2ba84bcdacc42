using System.Text.Json;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.EndToEnd;

/// <summary>
/// The LightRAG steps in embedded mode (offline extractor, in-process MiniLM, PostgreSQL vectors) through the
/// real AppHost: a document about a few people and organisations becomes one graph, and reprocessing it changes
/// nothing.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class EmbeddedPipelineTests(ShieldStackFixture stack)
{
    /// <summary>Letters only, so the suffix stays part of each name's last word (the tests share one database).</summary>
    private readonly string _tag = new(Guid.NewGuid().ToByteArray().Take(6).Select(b => (char)('a' + b % 26)).ToArray());

    private object Document() => new
    {
        chunks = new[]
        {
            $"Ada Lovelace{_tag} worked with Charles Babbage{_tag} on the Analytical Engine{_tag}.",
            $"In 1843 Ada Lovelace{_tag} published notes describing an algorithm for the machine.",
            $"Charles Babbage{_tag} lectured at the University of Turin{_tag} about the engine.",
            $"The Royal Society{_tag} later honoured Charles Babbage{_tag} for his work.",
        }.Select((text, i) => new { text, source_uri = $"history://computing/{_tag}/{i}" }).ToArray(),
        source_type = "history",
    };

    [Fact]
    public async Task An_entity_mentioned_in_several_chunks_becomes_one_node_with_each_source_chunk_and_reprocessing_changes_nothing()
    {
        var first = await stack.Api.SubmitAsync(Document());
        await stack.Api.WaitForJobAsync(first.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(1));

        var babbage = await EntityAsync($"Charles Babbage{_tag}");
        Assert.Equal("person", babbage.GetProperty("entity_type").GetString());
        Assert.Equal(3, babbage.GetProperty("source_chunk_ids").GetArrayLength());
        Assert.Equal("organization", (await EntityAsync($"University of Turin{_tag}")).GetProperty("entity_type").GetString());

        var relations = JsonDocument.Parse(await stack.Api.GetStringAsync($"/graph/entities/{Uri.EscapeDataString($"Charles Babbage{_tag}")}/relations")).RootElement;
        Assert.Contains(relations.EnumerateArray(), r =>
            new[] { r.GetProperty("source").GetString(), r.GetProperty("target").GetString() }.Contains($"Ada Lovelace{_tag}"));

        var before = await GraphFingerprintAsync();
        var second = await stack.Api.SubmitAsync(Document());
        await stack.Api.WaitForJobAsync(second.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(1));

        Assert.Equal(before, await GraphFingerprintAsync());
    }

    [Fact]
    public async Task A_naive_query_for_a_fact_finds_the_chunk_that_states_it_and_a_local_query_finds_the_entity()
    {
        var accepted = await stack.Api.SubmitAsync(Document());
        await stack.Api.WaitForJobAsync(accepted.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(1));

        var naive = await QueryAsync(new { query = "Where did Charles Babbage lecture about the engine?", mode = "naive", top_k = 3 });
        var chunks = naive.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("content").GetString()).ToList();
        Assert.Contains($"Charles Babbage{_tag} lectured at the University of Turin{_tag} about the engine.", chunks);

        var local = await QueryAsync(new { query = $"Ada Lovelace{_tag}", mode = "local", top_k = 5 });
        var ada = Assert.Single(local.GetProperty("entities").EnumerateArray(),
            e => e.GetProperty("entity").GetProperty("name").GetString() == $"Ada Lovelace{_tag}");
        Assert.Contains(ada.GetProperty("relationships").EnumerateArray(), r =>
            new[] { r.GetProperty("source").GetString(), r.GetProperty("target").GetString() }.Contains($"Charles Babbage{_tag}"));
        Assert.Equal(2, ada.GetProperty("source_chunks").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"mode": "naive"}""")]
    [InlineData("""{"query": "x", "mode": "global"}""")]
    [InlineData("""{"query": "x", "top_k": 0}""")]
    [InlineData("""{"query": "x", "top_k": "many"}""")]
    [InlineData("""{"query": """)]
    public async Task A_bad_query_is_a_400_problem(string body)
    {
        using var response = await stack.Api.PostAsync("/lightrag/query", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private async Task<JsonElement> QueryAsync(object query)
    {
        using var response = await stack.Api.PostAsync("/lightrag/query", System.Net.Http.Json.JsonContent.Create(query));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private async Task<JsonElement> EntityAsync(string name) =>
        JsonDocument.Parse(await stack.Api.GetStringAsync($"/graph/entities/{Uri.EscapeDataString(name)}")).RootElement;

    /// <summary>Everything this document put in the graph and the vector store, as one comparable value.</summary>
    private async Task<(long Entities, long Relationships, long Fragments, long EntityVectors, long RelationshipVectors, long Descriptions)> GraphFingerprintAsync()
    {
        var like = $"%{_tag}%";
        return (
            await stack.ScalarAsync("SELECT count(*) FROM graph_entities WHERE name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM graph_relationships WHERE source_name LIKE @t OR target_name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM graph_entity_fragments WHERE entity_name LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM vectors WHERE collection = 'entities' AND payload->>'entity_name' LIKE @t", ("t", like)),
            await stack.ScalarAsync("SELECT count(*) FROM vectors WHERE collection = 'relationships' AND (payload->>'src_id' LIKE @t OR payload->>'tgt_id' LIKE @t)", ("t", like)),
            await stack.ScalarAsync("SELECT sum(length(description) + array_length(source_chunk_ids, 1)) FROM graph_entities WHERE name LIKE @t", ("t", like)));
    }
}
