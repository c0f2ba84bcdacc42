using Shield.Documents.Extraction;

namespace Shield.Cli.Files;

/// <summary>
/// A file to upload. <see cref="Type"/> is the type its name says (<c>.txt</c>, <c>.md</c>, <c>.pdf</c>, <c>.docx</c>,
/// uploaded as a file); null for UTF-8 text under any other name, which is sent as a text (<c>{text, source_name}</c>).
/// </summary>
public sealed record LocalDocument(string Path, string DisplayName, FileType? Type);

/// <summary>A file that is not uploaded, and why (binary, not UTF-8, empty).</summary>
public sealed record SkippedFile(string Path, string DisplayName, string Reason);

/// <summary>What the command line named: the documents to upload in order, and what was skipped.</summary>
public sealed record DocumentSet(IReadOnlyList<LocalDocument> Documents, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Finds the files to ingest. Folders are searched recursively (hidden entries such as <c>.git</c> are left out), in
/// ordinal order so runs are repeatable. PDFs and .docx files go to the Api as they are (it extracts their text); text
/// files are checked here as the Api would check them — a NUL byte or invalid UTF-8 is binary, whitespace is empty —
/// so that a file the Api would refuse is skipped with its reason instead of failing its upload.
/// </summary>
public static class DocumentFiles
{
    /// <exception cref="FileNotFoundException">A path is neither a file nor a folder.</exception>
    public static async Task<DocumentSet> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var documents = new List<LocalDocument>();
        var skipped = new List<SkippedFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var (file, display) in Expand(path))
            {
                if (!seen.Add(file)) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var type = FileType.ForFileName(file);
                string? reason;
                if (type == FileType.Pdf || type == FileType.Docx)
                {
                    reason = new FileInfo(file).Length == 0 ? PlainText.Empty : null;
                }
                else
                {
                    reason = Classify(await File.ReadAllBytesAsync(file, cancellationToken), out _);
                }
                if (reason is null) documents.Add(new LocalDocument(file, display, type));
                else skipped.Add(new SkippedFile(file, display, reason));
            }
        }
        return new DocumentSet(documents, skipped);
    }

    /// <summary>Why the bytes are not text to ingest, or null with the decoded text: the same checks as the Api's POST /documents.</summary>
    public static string? Classify(ReadOnlySpan<byte> bytes, out string text) => PlainText.Classify(bytes, out text);

    private static IEnumerable<(string File, string Display)> Expand(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            yield return (full, path);
        }
        else if (Directory.Exists(full))
        {
            foreach (var file in FilesUnder(full))
            {
                yield return (file, Path.Combine(path, Path.GetRelativePath(full, file)));
            }
        }
        else
        {
            throw new FileNotFoundException($"No such file or folder: {path}", path);
        }
    }

    private static IEnumerable<string> FilesUnder(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System };
        foreach (var file in Directory.EnumerateFiles(folder, "*", options).Where(f => !IsHidden(f)).Order(StringComparer.Ordinal))
        {
            yield return file;
        }
        // Symbolic links to folders are not followed: a link back up the tree would never end.
        var folders = new EnumerationOptions { AttributesToSkip = options.AttributesToSkip | FileAttributes.ReparsePoint };
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", folders).Where(d => !IsHidden(d)).Order(StringComparer.Ordinal))
        {
            foreach (var file in FilesUnder(sub))
            {
                yield return file;
            }
        }
    }

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');
}
