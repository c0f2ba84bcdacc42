using Shield.Documents.Extraction;

namespace Shield.Cli.Chunking;

/// <summary>A text file read for ingestion.</summary>
public sealed record TextDocument(string Path, string DisplayName, string Text);

/// <summary>A file that is not ingested, and why (binary, not UTF-8, empty).</summary>
public sealed record SkippedFile(string Path, string DisplayName, string Reason);

/// <summary>What the command line named, read: the text documents in order, and what was skipped.</summary>
public sealed record DocumentSet(IReadOnlyList<TextDocument> Documents, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Finds and reads the files to ingest. Folders are searched recursively (hidden entries such as <c>.git</c> are
/// left out), in ordinal order so runs are repeatable. Any UTF-8 text is accepted, whatever its extension; a file
/// with a NUL byte or invalid UTF-8 is treated as binary and skipped.
/// </summary>
public static class DocumentFiles
{
    /// <exception cref="FileNotFoundException">A path is neither a file nor a folder.</exception>
    public static async Task<DocumentSet> ReadAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var documents = new List<TextDocument>();
        var skipped = new List<SkippedFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            foreach (var (file, display) in Expand(path))
            {
                if (!seen.Add(file)) continue;
                cancellationToken.ThrowIfCancellationRequested();
                var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
                if (Classify(bytes, out var text) is { } reason)
                {
                    skipped.Add(new SkippedFile(file, display, reason));
                }
                else
                {
                    documents.Add(new TextDocument(file, display, text));
                }
            }
        }
        return new DocumentSet(documents, skipped);
    }

    /// <summary>Why the bytes are not ingested, or null with the decoded text: the same checks as the Api's POST /documents.</summary>
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
