using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Shield.Workers.Extraction;

namespace Shield.Workers.Graph;

/// <summary>
/// LightRAG's description summary: once a node or edge has <see cref="GraphMergeRules.SummaryFragmentThreshold"/>
/// fragments (or too many tokens), the chat model rewrites them as one description of about
/// <see cref="SummaryTokens"/> tokens. Fragments beyond <see cref="MapReduceTokens"/> are summarised in groups
/// first and the group summaries then summarised (LightRAG's map-reduce). Calls share the extractor's
/// <see cref="ModelCallLimiter"/> and timeout.
/// </summary>
public sealed class ChatDescriptionSummarizer(IChatClient chat, ModelCallLimiter limiter, IOptions<ExtractionOptions> options)
    : IDescriptionSummarizer
{
    public const int SummaryTokens = 600;
    public const int MapReduceTokens = 12_000;

    /// <summary>Marks the prompt, so a log or a scripted server can tell a summary call from an extraction.</summary>
    public const string TaskLine = "Your task is to synthesize a list of descriptions of a given entity or relation into a single, comprehensive, and cohesive summary.";

    private readonly ExtractionOptions _options = options.Value;

    public string Description => $"chat model summary ({chat.GetService<ChatClientMetadata>()?.DefaultModelId ?? "unknown model"})";

    public async Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
    {
        var current = fragments.Where(f => !string.IsNullOrWhiteSpace(f)).Select(f => f.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (current.Count == 1) return current[0];

        // Map: groups that fit the model's input, each summarised; reduce: the group summaries, until one is left.
        while (LlmEntityExtractor.EstimateTokens(current) > MapReduceTokens && current.Count > 2)
        {
            var groups = Group(current).ToList();
            if (groups.Count == 1) break;
            var summaries = new List<string>();
            foreach (var group in groups)
            {
                summaries.Add(group.Count == 1 ? group[0] : await SummarizeOnceAsync(subject, group, cancellationToken));
            }
            current = summaries;
        }
        return await SummarizeOnceAsync(subject, current, cancellationToken);
    }

    public static string Prompt(string subject, IReadOnlyList<string> fragments, string language)
    {
        var list = new StringBuilder();
        foreach (var fragment in fragments)
        {
            list.AppendLine(JsonSerializer.Serialize(new { description = fragment }));
        }
        return $$"""
            ---Role---
            You are a Knowledge Graph Specialist, proficient in data curation and synthesis.

            ---Task---
            {{TaskLine}}

            ---Instructions---
            1. Input Format: The description list is provided in JSON format. Each JSON object (representing a single description) appears on a new line within the `Description List` section.
            2. Output Format: The merged description will be returned as plain text, presented in multiple paragraphs, without any additional formatting or extraneous comments before or after the summary.
            3. Comprehensiveness: The summary must integrate all key information from *every* provided description. Do not omit any important facts or details.
            4. Context & Objectivity: Write the summary from an objective, third-person perspective, and mention the full name of the entity or relation at its beginning.
            5. Conflict Handling: Where descriptions conflict, determine whether they describe distinct entities sharing a name and summarise each separately; otherwise reconcile them or present both viewpoints with their uncertainty.
            6. Length Constraint: The summary's total length must not exceed {{SummaryTokens}} tokens, while still maintaining depth and completeness.
            7. Language: The entire output must be written in {{language}}. Proper nouns may be kept in their original language.

            ---Input---
            Entity or Relation Name: {{subject}}

            Description List:

            ```
            {{list.ToString().TrimEnd()}}
            ```

            ---Output---
            """;
    }

    private async Task<string> SummarizeOnceAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
    {
        var text = (await limiter.GetResponseTextAsync(chat, [new ChatMessage(ChatRole.User, Prompt(subject, fragments, _options.Language))],
            TimeSpan.FromSeconds(_options.ModelTimeoutSeconds), $"Summarising {subject}", cancellationToken)).Trim();
        // An empty answer would erase the description; keep the fragments joined instead (LightRAG's short form).
        return text.Length == 0 ? string.Join(GraphMergeRules.Separator, fragments) : text;
    }

    private static IEnumerable<List<string>> Group(List<string> fragments)
    {
        var group = new List<string>();
        var tokens = 0;
        foreach (var fragment in fragments)
        {
            var cost = LlmEntityExtractor.EstimateTokens([fragment]);
            if (group.Count >= 2 && tokens + cost > MapReduceTokens)
            {
                yield return group;
                group = [];
                tokens = 0;
            }
            group.Add(fragment);
            tokens += cost;
        }
        if (group.Count > 0) yield return group;
    }
}
