using System.Text.Json;
using Shield.Workers.Extraction;
using Shield.Workers.Graph;

namespace Shield.Drills.Models;

/// <summary>What a chat call to the <see cref="ScriptedOllamaServer"/> asks for.</summary>
public enum ChatPromptKind
{
    /// <summary>LightRAG's first extraction call for a chunk.</summary>
    Extraction,

    /// <summary>A gleaning pass: the conversation already holds an extraction answer.</summary>
    Gleaning,

    /// <summary>A description summary of an entity or relation (<see cref="ChatDescriptionSummarizer"/>).</summary>
    Summary,
}

/// <summary>
/// A chat call as the scripted server reads it from the Workers' prompts: its kind, and for an extraction or gleaning
/// the chunk's text, for a summary the subject and the descriptions to merge.
/// </summary>
/// <param name="Model">The model the call asked for.</param>
/// <param name="Prompt">The conversation's user messages joined by new lines (what scripts are matched against).</param>
/// <param name="ChunkText">Extraction and gleaning: the chunk's text as the extraction prompt carries it; otherwise null.</param>
/// <param name="Subject">Summary: the entity or relation name; otherwise null.</param>
/// <param name="Descriptions">Summary: the descriptions, in the prompt's order; otherwise empty.</param>
public sealed record ChatPrompt(
    ChatPromptKind Kind, string Model, string Prompt, string? ChunkText, string? Subject, IReadOnlyList<string> Descriptions)
{
    private const string SubjectLine = "Entity or Relation Name: ";
    private const string DescriptionLine = "{\"description\":";
    private const string InputPlaceholder = "{input_text}";

    // The extraction prompt's text around the chunk, up to the first placeholder after it (the language may vary).
    private static readonly string BeforeChunk = ExtractionPrompts.UserPromptTemplate[..ExtractionPrompts.UserPromptTemplate.IndexOf(InputPlaceholder, StringComparison.Ordinal)];
    private static readonly string AfterChunk = TextAfterChunk();

    public bool IsExtraction => Kind == ChatPromptKind.Extraction;
    public bool IsGleaning => Kind == ChatPromptKind.Gleaning;
    public bool IsSummary => Kind == ChatPromptKind.Summary;

    /// <summary>Reads a conversation (role and content of each message) sent to <c>/api/chat</c>.</summary>
    public static ChatPrompt Read(string model, IReadOnlyList<(string Role, string Content)> messages)
    {
        var prompt = string.Join("\n", messages.Where(m => m.Role == "user").Select(m => m.Content));
        if (prompt.Contains(ChatDescriptionSummarizer.TaskLine, StringComparison.Ordinal))
        {
            var lines = prompt.Split('\n');
            var subject = lines.First(l => l.StartsWith(SubjectLine, StringComparison.Ordinal))[SubjectLine.Length..].Trim();
            var descriptions = lines.Where(l => l.StartsWith(DescriptionLine, StringComparison.Ordinal)).Select(Description).ToList();
            return new ChatPrompt(ChatPromptKind.Summary, model, prompt, null, subject, descriptions);
        }
        var kind = messages.Any(m => m.Role == "assistant") ? ChatPromptKind.Gleaning : ChatPromptKind.Extraction;
        var firstUser = messages.Where(m => m.Role == "user").Select(m => m.Content).FirstOrDefault() ?? "";
        return new ChatPrompt(kind, model, prompt, ChunkTextOf(firstUser), null, []);
    }

    /// <summary>The chunk inside the extraction prompt; the whole message when it is not that prompt.</summary>
    private static string ChunkTextOf(string userPrompt)
    {
        var start = userPrompt.IndexOf(BeforeChunk, StringComparison.Ordinal);
        if (start < 0) return userPrompt;
        start += BeforeChunk.Length;
        // The last occurrence: a chunk's own text can hold anything, the prompt's closing text comes after it.
        var end = userPrompt.LastIndexOf(AfterChunk, StringComparison.Ordinal);
        return end >= start ? userPrompt[start..end] : userPrompt[start..];
    }

    private static string Description(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement.GetProperty("description").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return line;
        }
    }

    private static string TextAfterChunk()
    {
        var template = ExtractionPrompts.UserPromptTemplate;
        var after = template[(template.IndexOf(InputPlaceholder, StringComparison.Ordinal) + InputPlaceholder.Length)..];
        var placeholder = after.IndexOf('{', StringComparison.Ordinal);
        return placeholder < 0 ? after : after[..placeholder];
    }
}
