namespace Shield.Documents.Extraction;

/// <summary>Why a file is not taken as a document; each has its own HTTP status in the Api.</summary>
public enum DocumentProblem
{
    /// <summary>A file type Shield does not read (Api: 415).</summary>
    UnsupportedType,

    /// <summary>More than a limit allows: bytes, extracted characters, chunks (Api: 413).</summary>
    TooLarge,

    /// <summary>The file cannot be read as its type says: a corrupt or password-protected PDF, a .docx that is not a zip or expands too far, text that is not UTF-8 (Api: 422).</summary>
    Unreadable,

    /// <summary>The file holds no text: an empty file, a PDF of scanned images (Api: 422).</summary>
    Empty,
}

/// <summary>A file refused as a document, with a message that tells its sender what is wrong and what to do.</summary>
public sealed class DocumentRejectedException(DocumentProblem problem, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    public DocumentProblem Problem { get; } = problem;
}
