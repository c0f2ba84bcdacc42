namespace Shield.Workers.Extraction;

/// <summary>
/// Combines the first extraction pass with a gleaning pass, as LightRAG does for one chunk: the same entity name
/// (exact, no case folding) or the same undirected pair (the sorted source/target) keeps the record with the longer
/// description (the first one on a tie); everything new is appended in the order it came. Skip counts add up.
/// </summary>
public static class ExtractionMerger
{
    public static ExtractionResult MergeGleaning(ExtractionResult first, ExtractionResult second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);

        var entities = new List<ExtractedEntity>(first.Entities);
        var entityIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < entities.Count; i++) entityIndex.TryAdd(entities[i].Name, i);
        foreach (var entity in second.Entities)
        {
            if (!entityIndex.TryGetValue(entity.Name, out var index))
            {
                entityIndex[entity.Name] = entities.Count;
                entities.Add(entity);
            }
            else if (entity.Description.Length > entities[index].Description.Length)
            {
                entities[index] = entity;
            }
        }

        var relations = new List<ExtractedRelation>(first.Relations);
        var relationIndex = new Dictionary<(string, string), int>();
        for (var i = 0; i < relations.Count; i++) relationIndex.TryAdd(PairKey(relations[i]), i);
        foreach (var relation in second.Relations)
        {
            var key = PairKey(relation);
            if (!relationIndex.TryGetValue(key, out var index))
            {
                relationIndex[key] = relations.Count;
                relations.Add(relation);
            }
            else if (relation.Description.Length > relations[index].Description.Length)
            {
                relations[index] = relation;
            }
        }

        return new ExtractionResult(entities, relations, first.SkippedRecords + second.SkippedRecords, [.. first.SkipReasons, .. second.SkipReasons]);
    }

    /// <summary>Relations are undirected: the key is the ordinally sorted pair.</summary>
    public static (string, string) PairKey(ExtractedRelation relation) =>
        string.CompareOrdinal(relation.Source, relation.Target) <= 0 ? (relation.Source, relation.Target) : (relation.Target, relation.Source);
}
