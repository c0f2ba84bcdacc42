using System.ComponentModel.DataAnnotations;
using Shield.Documents.Extraction;

namespace Shield.Api.Documents;

/// <summary>
/// Limits on <c>POST /documents</c> (section <c>Shield:Documents</c>). A request is read whole, and its files held in
/// memory one at a time while their text is extracted, so <see cref="MaxRequestBytes"/> bounds what one upload costs;
/// the text limits keep one document within what a job carries (<see cref="MaxChunksPerDocument"/> chunks, each within
/// <c>Shield:Ingestion:MaxChunkTextBytes</c>) and the queue's backlog check (<c>Shield:Ingestion:MaxBacklog</c>) applies as to any job.
/// </summary>
public sealed class DocumentLimits : IValidatableObject
{
    public const string SectionName = "Shield:Documents";

    /// <summary>Bytes of one uploaded file (or of one JSON text body).</summary>
    [Range(1024, 1L * 1024 * 1024 * 1024)]
    public long MaxFileBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Files in one multipart upload.</summary>
    [Range(1, 1000)]
    public int MaxFilesPerRequest { get; set; } = 20;

    /// <summary>Bytes of a whole upload request, all files and fields together; larger requests get 413 before they are read.</summary>
    [Range(1024, 4L * 1024 * 1024 * 1024)]
    public long MaxRequestBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Characters of text one document may yield; about 1,000 chunks of 1,200 tokens of English.</summary>
    [Range(1, 200_000_000)]
    public int MaxExtractedCharacters { get; set; } = 4_000_000;

    /// <summary>Chunks one document may be cut into: its job's size.</summary>
    [Range(1, 100_000)]
    public int MaxChunksPerDocument { get; set; } = 1000;

    /// <summary>Bytes a file's compressed parts may expand to (a .docx's zip entries, a PDF's streams): the decompression-bomb limit.</summary>
    [Range(1024, 16L * 1024 * 1024 * 1024)]
    public long MaxUnpackedBytes { get; set; } = 256 * 1024 * 1024;

    /// <summary>Pages of one PDF.</summary>
    [Range(1, 1_000_000)]
    public int MaxPdfPages { get; set; } = 5000;

    /// <summary>Characters of a file or source name.</summary>
    public const int MaxSourceNameLength = 1024;

    /// <summary>Characters of <c>split_by_character</c>.</summary>
    public const int MaxSplitByCharacterLength = 32;

    public DocumentReadLimits ToReadLimits() => new()
    {
        MaxFileBytes = MaxFileBytes,
        MaxExtractedCharacters = MaxExtractedCharacters,
        MaxUnpackedBytes = MaxUnpackedBytes,
        MaxPdfPages = MaxPdfPages,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxRequestBytes < MaxFileBytes)
        {
            yield return new ValidationResult($"{SectionName}:MaxRequestBytes ({MaxRequestBytes}) must be at least MaxFileBytes ({MaxFileBytes}).",
                [nameof(MaxRequestBytes)]);
        }
    }
}
