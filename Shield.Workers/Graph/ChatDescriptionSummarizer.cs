using Microsoft.Extensions.AI;

namespace Shield.Workers.Graph;

/// <summary>LightRAG's description summary: the model rewrites the fragments into one coherent description.</summary>
public sealed class ChatDescriptionSummarizer(IChatClient chat) : IDescriptionSummarizer
{
    public string Description => "chat model summary";

    public async Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken)
    {
        var prompt = $"""
            ---Role---
            You are a Knowledge Graph Specialist responsible for data curation and synthesis.

            ---Task---
            Your task is to synthesize a list of descriptions of a given entity or relation into a single, comprehensive,
            and cohesive summary.

            ---Instructions---
            1. Write the summary in the third person, mentioning the name of the entity or relation at the beginning.
            2. Integrate all key information from every description; do not invent anything.
            3. If descriptions conflict, reconcile them or present both, noting the uncertainty.
            4. Keep the summary under {GraphMergeRules.SummaryTokenThreshold / 2} tokens. Write in English.
            5. Output only the summary text, with no preamble.

            ---Input---
            Entity or relation name: {subject}
            Description list:
            {string.Join("\n", fragments.Select(f => "- " + f))}

            ---Output---
            """;
        var response = await chat.GetResponseAsync(prompt, cancellationToken: cancellationToken);
        var text = response.Text.Trim();
        // An empty answer must not wipe the description: fall back to the joined fragments.
        return text.Length > 0 ? text : string.Join(GraphMergeRules.Separator, fragments);
    }
}
