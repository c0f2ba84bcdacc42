using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Shield.Tests.Infrastructure;

namespace Shield.Tests.Documents;

/// <summary>
/// Documents through the real stack's Api: files made with PdfPig and the Open XML SDK become processed documents
/// whose facts a naive query finds; the same content again starts nothing; a deletion takes the document away; bad
/// files are problems that record nothing.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class DocumentApiTests(ShieldStackFixture stack)
{
    /// <summary>Letters only: the tests share one knowledge base, and each test's facts must be its own.</summary>
    private readonly string _tag = new(Guid.NewGuid().ToByteArray().Take(6).Select(b => (char)('a' + b % 26)).ToArray());

    [Fact]
    public async Task A_pdf_and_a_docx_become_processed_documents_whose_facts_a_naive_query_finds_and_the_same_pdf_again_starts_no_job()
    {
        var pdf = TestDocuments.Pdf($"The lighthouse of Vardo{_tag} was built in 1896.", $"Keeper Ingrid Solberg{_tag} lit its lamp every night.");
        var docx = TestDocuments.Docx($"The observatory of Tromso{_tag} measures the northern lights.", $"Astronomer Nils Berg{_tag} founded it in 1928.");

        using var upload = await stack.Api.PostAsync("/documents", Files(("lighthouse.pdf", pdf), ("observatory.docx", docx)));
        var accepted = await JsonAsync(upload);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var documents = accepted.GetProperty("documents").EnumerateArray().ToList();
        Assert.Equal(["lighthouse.pdf", "observatory.docx"], documents.Select(d => d.GetProperty("file_name").GetString()));
        Assert.All(documents, d => Assert.Equal("queued", d.GetProperty("disposition").GetString()));
        Assert.All(documents, d => Assert.Matches("^doc-[0-9a-f]{32}$", d.GetProperty("document_id").GetString()));

        foreach (var document in documents)
        {
            var processed = await WaitForDocumentAsync(document.GetProperty("document_id").GetString()!, "processed");
            Assert.Equal(1, processed.GetProperty("chunk_count").GetInt32());
            Assert.Equal("ingest", Assert.Single(processed.GetProperty("jobs").EnumerateArray()).GetProperty("kind").GetString());
        }

        Assert.Contains(await NaiveAsync($"When was the lighthouse of Vardo{_tag} built?"), c => c.Contains($"Vardo{_tag} was built in 1896"));
        Assert.Contains(await NaiveAsync($"Who founded the observatory of Tromso{_tag}?"), c => c.Contains($"Nils Berg{_tag} founded it in 1928"));

        // The same PDF again (under another name): the document is known, so nothing is queued.
        var jobsBefore = await stack.ScalarAsync("SELECT count(*) FROM jobs");
        using var again = await stack.Api.PostAsync("/documents", Files(("lighthouse-copy.pdf", pdf)));
        var existing = Assert.Single((await JsonAsync(again)).GetProperty("documents").EnumerateArray());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(("existing", "processed", documents[0].GetProperty("document_id").GetString()),
            (existing.GetProperty("disposition").GetString(), existing.GetProperty("status").GetString(), existing.GetProperty("document_id").GetString()));
        Assert.Equal(jobsBefore, await stack.ScalarAsync("SELECT count(*) FROM jobs"));
    }

    [Fact]
    public async Task A_text_asked_to_be_reprocessed_is_queued_again_as_a_second_job_of_the_same_document()
    {
        var text = new { text = $"The ferry {_tag} leaves Bodo at noon.", source_name = "ferry.txt" };
        var first = await UploadTextAsync(text, HttpStatusCode.Accepted);
        await WaitForDocumentAsync(first, "processed");

        using var reprocess = await stack.Api.PostAsJsonAsync("/documents?reprocess=true", text);
        Assert.Equal(HttpStatusCode.Accepted, reprocess.StatusCode);
        var document = await WaitForDocumentAsync(first, "processed", jobs: 2);
        Assert.All(document.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("ingest", j.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task A_deleted_document_is_gone_with_its_chunks_and_a_document_sharing_a_chunk_keeps_it()
    {
        var shared = $"Harbour master Olsen{_tag} keeps the tide tables.";
        var kept = await UploadTextAsync(new { text = shared, source_name = "kept.txt" }, HttpStatusCode.Accepted);
        var doomedText = $"Fisherman Dahl{_tag} sails from Hammerfest{_tag} at dawn.";
        using var both = await stack.Api.PostAsync("/documents", Files(("doomed.txt", Encoding.UTF8.GetBytes(doomedText))));
        var doomed = Assert.Single((await JsonAsync(both)).GetProperty("documents").EnumerateArray()).GetProperty("document_id").GetString()!;
        await WaitForDocumentAsync(kept, "processed");
        await WaitForDocumentAsync(doomed, "processed");
        Assert.Contains(await NaiveAsync($"Who sails from Hammerfest{_tag}?"), c => c == doomedText);
        const string DoomedEntities = "SELECT count(*) FROM graph_entities WHERE name LIKE @dahl OR name LIKE @hammerfest";
        (string, object)[] names = [("dahl", $"%Dahl{_tag}%"), ("hammerfest", $"%Hammerfest{_tag}%")];
        Assert.True(await stack.ScalarAsync(DoomedEntities, names) > 0, "the document's entities were never in the graph");

        using var delete = await stack.Api.DeleteAsync($"/documents/{doomed}");
        var deletion = await JsonAsync(delete);
        Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using var cancel = await stack.Api.DeleteAsync($"/jobs/{deletion.GetProperty("job_id").GetString()}");
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        var job = await stack.Api.WaitForJobAsync(deletion.GetProperty("job_id").GetString()!, TimeSpan.FromMinutes(1));
        Assert.Equal("completed", job.GetProperty("status").GetString());

        using var gone = await stack.Api.GetAsync($"/documents/{doomed}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.DoesNotContain(await NaiveAsync($"Who sails from Hammerfest{_tag}?"), c => c == doomedText);
        Assert.Equal(0, await stack.ScalarAsync(DoomedEntities, names));
        Assert.Contains(await NaiveAsync($"What does harbour master Olsen{_tag} keep?"), c => c == shared);

        // Deleting again: the document is unknown now.
        using var repeat = await stack.Api.DeleteAsync($"/documents/{doomed}");
        Assert.Equal(HttpStatusCode.NotFound, repeat.StatusCode);
    }

    [Fact]
    public async Task Documents_are_listed_newest_first_by_status_a_page_at_a_time()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await UploadTextAsync(new { text = $"Listed document {i} {_tag}.", source_name = $"listed-{i}.txt" }, HttpStatusCode.Accepted));
        }
        foreach (var id in ids) await WaitForDocumentAsync(id, "processed");

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = JsonDocument.Parse(await stack.Api.GetStringAsync($"/documents?status=processed&limit=2{(cursor is null ? "" : "&cursor=" + cursor)}")).RootElement;
            var documents = page.GetProperty("documents").EnumerateArray().ToList();
            Assert.InRange(documents.Count, 0, 2);
            Assert.All(documents, d => Assert.Equal("processed", d.GetProperty("status").GetString()));
            seen.AddRange(documents.Select(d => d.GetProperty("document_id").GetString()!));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null && ids.Except(seen).Any());

        // Newest first: the last uploaded comes before the first.
        Assert.True(seen.IndexOf(ids[2]) < seen.IndexOf(ids[0]), string.Join(", ", seen));
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    public static TheoryData<string, string, int> BadFiles => new()
    {
        { "unsupported type", "image.png", 415 },
        { "empty file", "empty.txt", 422 },
        { "binary text file", "binary.txt", 422 },
        { "corrupt PDF", "corrupt.pdf", 422 },
        { "encrypted PDF", "encrypted.pdf", 422 },
        { "docx that is not a zip", "notzip.docx", 422 },
        { "zip bomb docx", "bomb.docx", 422 },
        { "file over the size limit", "huge.txt", 413 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task A_bad_file_is_a_problem_and_nothing_of_the_request_is_recorded(string name, string fileName, int expectedStatus)
    {
        var bad = fileName switch
        {
            "image.png" => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0],
            "empty.txt" => [],
            "binary.txt" => [(byte)'a', 0, (byte)'b', 0],
            "corrupt.pdf" => Encoding.ASCII.GetBytes("%PDF-1.7\nthis is not a PDF body at all"),
            "encrypted.pdf" => TestDocuments.EncryptedPdf(),
            "notzip.docx" => Encoding.UTF8.GetBytes("plain text named like a Word file"),
            "bomb.docx" => TestDocuments.ZipBombDocx(600L * 1024 * 1024),
            "huge.txt" => Encoding.UTF8.GetBytes(new string('x', 33 * 1024 * 1024)),
            _ => throw new ArgumentOutOfRangeException(nameof(fileName)),
        };
        // A good file in the same request is not recorded either: the request is taken whole or not at all.
        var good = Encoding.UTF8.GetBytes($"A good file {name} {_tag}.");
        await AssertRejectedWithoutEffectAsync(() => stack.Api.PostAsync("/documents", Files(("good.txt", good), (fileName, bad))), expectedStatus);
    }

    [Fact]
    public async Task Too_many_files_in_one_request_is_a_413_problem_and_records_nothing()
    {
        var files = Enumerable.Range(0, 21).Select(i => ($"many-{i}.txt", Encoding.UTF8.GetBytes($"File {i} of too many {_tag}."))).ToArray();
        await AssertRejectedWithoutEffectAsync(() => stack.Api.PostAsync("/documents", Files(files)), 413);
    }

    [Theory]
    [InlineData("""{"source_name": "x.txt"}""", 400)]
    [InlineData("""{"text": "   ", "source_name": "blank.txt"}""", 400)]
    [InlineData("""{"text": "fine", "source_name": ""}""", 400)]
    [InlineData("""{"text": """, 400)]
    public async Task A_bad_text_body_is_a_400_problem_and_records_nothing(string body, int expectedStatus)
    {
        await AssertRejectedWithoutEffectAsync(() => stack.Api.PostAsync("/documents", new StringContent(body, Encoding.UTF8, "application/json")), expectedStatus);
    }

    [Theory]
    [InlineData("/documents/not-a-document", 400)]
    [InlineData("/documents/doc-0123", 400)]
    [InlineData("/documents/doc-00000000000000000000000000000000", 404)]
    [InlineData("/documents?status=done", 400)]
    [InlineData("/documents?limit=0", 400)]
    [InlineData("/documents?cursor=garbage", 400)]
    public async Task Bad_document_reads_are_problems(string path, int expectedStatus)
    {
        using var response = await stack.Api.GetAsync(path);
        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_both_upload_bodies()
    {
        var openApi = JsonDocument.Parse(await stack.ReadApi.GetStringAsync("/openapi/v1.json")).RootElement;
        var content = openApi.GetProperty("paths").GetProperty("/documents").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.Contains("files", Properties(content.GetProperty("multipart/form-data").GetProperty("schema")));
        Assert.Contains("text", Properties(content.GetProperty("application/json").GetProperty("schema")));

        IEnumerable<string> Properties(JsonElement schema)
        {
            if (schema.TryGetProperty("$ref", out var reference))
            {
                schema = openApi.GetProperty("components").GetProperty("schemas").GetProperty(reference.GetString()!.Split('/')[^1]);
            }
            return schema.GetProperty("properties").EnumerateObject().Select(p => p.Name);
        }
    }

    /// <summary>The shared check (problem document, no job, no new job's stream entry), no document either, and a detail that says why.</summary>
    private async Task AssertRejectedWithoutEffectAsync(Func<Task<HttpResponseMessage>> send, int expectedStatus)
    {
        var problem = await stack.AssertRejectedWithoutEffectAsync("upload", send, expectedStatus, "documents");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    private static MultipartFormDataContent Files(params (string Name, byte[] Bytes)[] files)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(file, "files", name);
        }
        return content;
    }

    private async Task<string> UploadTextAsync(object body, HttpStatusCode expected)
    {
        using var response = await stack.Api.PostAsJsonAsync("/documents", body);
        var answer = await JsonAsync(response);
        Assert.True(expected == response.StatusCode, $"expected {expected}, got {(int)response.StatusCode}: {answer}");
        return Assert.Single(answer.GetProperty("documents").EnumerateArray()).GetProperty("document_id").GetString()!;
    }

    private async Task<JsonElement> WaitForDocumentAsync(string documentId, string status, int jobs = 1)
    {
        JsonElement document = default;
        await Eventually.TrueAsync(async () =>
        {
            document = JsonDocument.Parse(await stack.Api.GetStringAsync($"/documents/{documentId}")).RootElement;
            Assert.NotEqual("failed", document.GetProperty("status").GetString());
            return document.GetProperty("status").GetString() == status && document.GetProperty("jobs").GetArrayLength() == jobs;
        }, TimeSpan.FromMinutes(1), $"document {documentId} did not become {status}");
        return document;
    }

    private async Task<List<string>> NaiveAsync(string question)
    {
        using var response = await stack.Api.PostAsJsonAsync("/lightrag/query", new { query = question, mode = "naive", top_k = 5 });
        response.EnsureSuccessStatusCode();
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return [.. answer.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("content").GetString()!)];
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
