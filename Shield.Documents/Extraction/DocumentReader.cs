namespace Shield.Documents.Extraction;

/// <summary>
/// Reads the text of one file by its type: <c>.txt</c> and <c>.md</c> as UTF-8 (<see cref="PlainText"/>), <c>.pdf</c>
/// with PdfPig (<see cref="PdfText"/>), <c>.docx</c> with the Open XML SDK (<see cref="DocxText"/>). Every way a file
/// can be unfit — a type not read, too big, corrupt, encrypted, a decompression bomb, no text — is a
/// <see cref="DocumentRejectedException"/> saying which, and nothing is read beyond the limits.
/// </summary>
public sealed class DocumentReader(DocumentReadLimits? limits = null)
{
    public DocumentReadLimits Limits { get; } = limits ?? DocumentReadLimits.Defaults;

    /// <summary>The type <paramref name="fileName"/> names, or a rejection naming the types that are read.</summary>
    /// <exception cref="DocumentRejectedException">An unsupported type.</exception>
    public static FileType TypeOf(string fileName) => FileType.ForFileName(fileName)
        ?? throw new DocumentRejectedException(DocumentProblem.UnsupportedType,
            $"'{fileName}' is not a file type Shield reads; send {FileType.SupportedList}.");

    /// <exception cref="DocumentRejectedException">The file is not taken, and why.</exception>
    public ExtractedDocument Read(string fileName, ReadOnlyMemory<byte> bytes)
    {
        var type = TypeOf(fileName);
        if (bytes.Length > Limits.MaxFileBytes)
        {
            throw new DocumentRejectedException(DocumentProblem.TooLarge,
                $"'{fileName}' is {bytes.Length:N0} bytes; a file may be at most {Limits.MaxFileBytes:N0} bytes.");
        }
        if (bytes.IsEmpty)
        {
            throw new DocumentRejectedException(DocumentProblem.Empty, $"'{fileName}' is empty.");
        }

        var text = type == FileType.Pdf ? PdfText.Extract(fileName, bytes, Limits)
            : type == FileType.Docx ? DocxText.Extract(fileName, bytes, Limits)
            : ReadPlainText(fileName, bytes.Span);
        return FromText(fileName, type, bytes.Length, text);
    }

    /// <summary>A text sent as it is (the Api's JSON body), checked as a file's text would be.</summary>
    /// <exception cref="DocumentRejectedException">No text, or too much.</exception>
    public ExtractedDocument FromText(string sourceName, FileType type, long sizeBytes, string text)
    {
        var clean = DocumentIds.Clean(text);
        if (clean.Length == 0)
        {
            throw new DocumentRejectedException(DocumentProblem.Empty, type == FileType.Pdf
                ? $"'{sourceName}' has no extractable text (a PDF of scanned pages needs OCR first)."
                : $"'{sourceName}' holds no text.");
        }
        if (clean.Length > Limits.MaxExtractedCharacters)
        {
            throw TooMuchText(sourceName, Limits);
        }
        return new ExtractedDocument(sourceName, type, sizeBytes, clean);
    }

    internal static DocumentRejectedException TooMuchText(string fileName, DocumentReadLimits limits) => new(DocumentProblem.TooLarge,
        $"'{fileName}' holds more than {limits.MaxExtractedCharacters:N0} characters of text; split it into smaller documents.");

    private static string ReadPlainText(string fileName, ReadOnlySpan<byte> bytes) => PlainText.Classify(bytes, out var text) switch
    {
        null => text,
        PlainText.Empty => throw new DocumentRejectedException(DocumentProblem.Empty, $"'{fileName}' holds only whitespace."),
        var reason => throw new DocumentRejectedException(DocumentProblem.Unreadable,
            $"'{fileName}' is not UTF-8 text ({reason}); save it as UTF-8, or send a PDF or .docx as such."),
    };
}
