using System.ComponentModel.DataAnnotations;

namespace Shield.Workers.Extraction;

/// <summary>Model-based extraction settings (section <c>Shield:Extraction</c>); defaults are LightRAG's.</summary>
public sealed class ExtractionOptions
{
    public const string SectionName = "Shield:Extraction";

    /// <summary>
    /// Entity types offered to the model; empty means <see cref="ExtractionPrompts.DefaultEntityTypes"/>. (An empty
    /// default, because the configuration binder appends to a pre-filled collection instead of replacing it.)
    /// </summary>
    public string[] EntityTypes { get; set; } = [];

    /// <summary>The language the model writes names, keywords and descriptions in.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Language { get; set; } = ExtractionPrompts.DefaultLanguage;

    /// <summary>Extra "continue extraction" passes per chunk (LightRAG: 1).</summary>
    [Range(0, 5)]
    public int MaxGleaning { get; set; } = 1;

    /// <summary>Gleaning is skipped when the replayed conversation would exceed this many tokens (LightRAG: 20,480).</summary>
    [Range(1_000, 1_000_000)]
    public int MaxGleaningInputTokens { get; set; } = 20_480;

    /// <summary>Chat-model calls in flight at once in this process, all chunks together (LightRAG: 4).</summary>
    [Range(1, 256)]
    public int MaxConcurrentModelCalls { get; set; } = 4;

    /// <summary>Time one model call may take, not counting the wait for a <see cref="ModelCallLimiter"/> slot (LightRAG: 240 s).</summary>
    [Range(1, 3_600)]
    public int ModelTimeoutSeconds { get; set; } = 240;

    /// <summary>The entity types actually used.</summary>
    public IReadOnlyList<string> EffectiveEntityTypes =>
        EntityTypes.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).ToList() is { Count: > 0 } types
            ? types
            : ExtractionPrompts.DefaultEntityTypes;
}
