namespace Shield.Documents.Extraction;

/// <summary>A file type Shield reads: how it is named and what it is sent as.</summary>
public sealed record FileType(string Extension, string ContentType)
{
    public static readonly FileType Text = new(".txt", "text/plain");
    public static readonly FileType Markdown = new(".md", "text/markdown");
    public static readonly FileType Pdf = new(".pdf", "application/pdf");
    public static readonly FileType Docx = new(".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document");

    public static IReadOnlyList<FileType> Supported { get; } = [Text, Markdown, Pdf, Docx];

    /// <summary>The type a file name's extension says (case-insensitive), or null when Shield does not read it.</summary>
    public static FileType? ForFileName(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        return Supported.FirstOrDefault(t => string.Equals(t.Extension, extension, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>"<c>.txt</c>, <c>.md</c>, <c>.pdf</c>, <c>.docx</c>", for messages.</summary>
    public static string SupportedList => string.Join(", ", Supported.Select(t => t.Extension));
}

/// <summary>A file read as a document: its text, cleaned as it is identified and chunked.</summary>
/// <param name="SourceName">The file name it was sent under (or the name given with a text).</param>
/// <param name="SizeBytes">Bytes as sent.</param>
public sealed record ExtractedDocument(string SourceName, FileType Type, long SizeBytes, string Text)
{
    /// <summary><c>doc-</c> + MD5 of <see cref="Text"/>, as LightRAG names documents.</summary>
    public string DocumentId { get; } = DocumentIds.ForCleanText(Text);
}
