using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Shield.Documents.Extraction;

/// <summary>
/// A .docx's body text with the Open XML SDK: paragraphs (tables' cells included) one per line, tabs and breaks kept.
/// Before the SDK opens it, the zip is inspected: too many entries, entries whose sizes add up beyond
/// <see cref="DocumentReadLimits.MaxUnpackedBytes"/>, or a large entry compressed more than
/// <see cref="DocumentReadLimits.MaxCompressionRatio"/> to one is refused as a zip bomb; then every entry is inflated
/// into nothing, counting, so an entry whose header understates its size is refused too.
/// </summary>
internal static class DocxText
{
    private const long RatioCheckedFromBytes = 1024 * 1024;

    public static string Extract(string fileName, ReadOnlyMemory<byte> bytes, DocumentReadLimits limits)
    {
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        CheckArchive(fileName, stream, limits);
        stream.Position = 0;
        try
        {
            using var document = WordprocessingDocument.Open(stream, isEditable: false,
                new OpenSettings { MaxCharactersInPart = limits.MaxUnpackedBytes });
            var body = document.MainDocumentPart?.Document?.Body
                ?? throw Unreadable(fileName, "it has no document body (is it a Word document?)");
            return BodyText(fileName, body, limits);
        }
        catch (Exception ex) when (ex is not (DocumentRejectedException or OutOfMemoryException or OperationCanceledException))
        {
            throw Unreadable(fileName, $"the Open XML SDK cannot open it ({ex.Message})", ex);
        }
    }

    private static void CheckArchive(string fileName, MemoryStream stream, DocumentReadLimits limits)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            // A password-protected .docx is an OLE compound file, not a zip, and so is an old .doc.
            throw Unreadable(fileName, "it is not a zip archive, as every .docx is (an encrypted .docx or an old .doc is not one either)", ex);
        }
        using (archive)
        {
            if (archive.Entries.Count > limits.MaxZipEntries)
            {
                throw Bomb(fileName, $"it holds {archive.Entries.Count:N0} entries (at most {limits.MaxZipEntries:N0})");
            }
            long declared = 0;
            foreach (var entry in archive.Entries)
            {
                declared += entry.Length;
                if (declared > limits.MaxUnpackedBytes)
                {
                    throw Bomb(fileName, $"its entries expand to more than {limits.MaxUnpackedBytes:N0} bytes");
                }
                if (entry.Length > RatioCheckedFromBytes && entry.Length > (long)limits.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
                {
                    throw Bomb(fileName, $"'{entry.FullName}' expands {entry.Length / Math.Max(1, entry.CompressedLength):N0} times " +
                        $"(at most {limits.MaxCompressionRatio} for an entry over 1 MiB)");
                }
            }

            var sink = new byte[81920];
            foreach (var entry in archive.Entries)
            {
                long inflated = 0;
                try
                {
                    using var data = entry.Open();
                    int read;
                    while ((read = data.Read(sink)) > 0)
                    {
                        inflated += read;
                        if (inflated > entry.Length)
                        {
                            throw Bomb(fileName, $"'{entry.FullName}' expands beyond the size its header states");
                        }
                    }
                }
                catch (InvalidDataException ex)
                {
                    throw Unreadable(fileName, $"its entry '{entry.FullName}' is corrupt", ex);
                }
            }
        }
    }

    /// <summary>Walks the body in document order without recursion (a hostile file can nest deeply).</summary>
    private static string BodyText(string fileName, Body body, DocumentReadLimits limits)
    {
        var text = new StringBuilder();
        var pending = new Stack<(OpenXmlElement Element, bool Leaving)>();
        pending.Push((body, false));
        while (pending.TryPop(out var item))
        {
            var (element, leaving) = item;
            if (leaving)
            {
                text.Append('\n'); // a paragraph ends
                continue;
            }
            switch (element)
            {
                case Text run: text.Append(run.Text); break;
                case TabChar: text.Append('\t'); break;
                case Break or CarriageReturn: text.Append('\n'); break;
                default:
                    if (element is Paragraph) pending.Push((element, true));
                    foreach (var child in element.ChildElements.Reverse())
                    {
                        pending.Push((child, false));
                    }
                    break;
            }
            if (text.Length > limits.MaxExtractedCharacters)
            {
                throw DocumentReader.TooMuchText(fileName, limits);
            }
        }
        return text.ToString();
    }

    private static DocumentRejectedException Unreadable(string fileName, string why, Exception? inner = null) =>
        new(DocumentProblem.Unreadable, $"'{fileName}' cannot be read as a .docx: {why}.", inner);

    private static DocumentRejectedException Bomb(string fileName, string why) =>
        new(DocumentProblem.Unreadable, $"'{fileName}' cannot be read as a .docx: {why}; refused as a possible zip bomb.");
}
