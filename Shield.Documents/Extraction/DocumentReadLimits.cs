namespace Shield.Documents.Extraction;

/// <summary>
/// What one file may cost to read. The defaults suit a server that reads uploads from many clients: a file is held in
/// memory once, and nothing in it may expand beyond <see cref="MaxUnpackedBytes"/> however it is compressed.
/// </summary>
public sealed record DocumentReadLimits
{
    /// <summary>Bytes of one file as sent.</summary>
    public long MaxFileBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Characters of text one document may yield (about 1,000 chunks of 1,200 tokens of English).</summary>
    public int MaxExtractedCharacters { get; init; } = 4_000_000;

    /// <summary>
    /// Bytes a file's compressed parts may expand to, all together: a .docx's zip entries, a PDF's decoded streams.
    /// Beyond it the file is refused as a possible decompression bomb, before it is expanded.
    /// </summary>
    public long MaxUnpackedBytes { get; init; } = 256 * 1024 * 1024;

    /// <summary>Largest ratio of expanded to compressed size a .docx entry over 1 MiB may have (XML rarely passes 30).</summary>
    public int MaxCompressionRatio { get; init; } = 200;

    /// <summary>Entries a .docx zip may hold.</summary>
    public int MaxZipEntries { get; init; } = 10_000;

    /// <summary>Pages of a PDF.</summary>
    public int MaxPdfPages { get; init; } = 5_000;

    public static DocumentReadLimits Defaults { get; } = new();
}
