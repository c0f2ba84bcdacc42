using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;
using UglyToad.PdfPig.Exceptions;
using UglyToad.PdfPig.Filters;
using UglyToad.PdfPig.Tokens;

namespace Shield.Documents.Extraction;

/// <summary>
/// A PDF's text with PdfPig, page by page in content order. A PDF that needs a password, that PdfPig cannot parse, or
/// whose compressed streams would expand beyond <see cref="DocumentReadLimits.MaxUnpackedBytes"/> is refused; each
/// Flate stream is first inflated into nothing, counting, so a bomb is refused before PdfPig expands it.
/// </summary>
internal static class PdfText
{
    public static string Extract(string fileName, ReadOnlyMemory<byte> bytes, DocumentReadLimits limits)
    {
        // PdfPig tolerates a few bytes before the header, as readers do; a file without one is not a PDF at all.
        if (bytes.Span[..Math.Min(bytes.Length, 1024)].IndexOf("%PDF-"u8) < 0)
        {
            throw Unreadable(fileName, "it does not start like a PDF (no %PDF- header)");
        }

        var budget = new DecodeBudget(fileName, limits.MaxUnpackedBytes);
        var options = new ParsingOptions
        {
            SkipMissingFonts = true,
            FilterProvider = new BoundedFilterProvider(DefaultFilterProvider.Instance, budget),
        };
        var text = new StringBuilder();
        try
        {
            using var document = PdfDocument.Open(bytes, options);
            if (document.NumberOfPages > limits.MaxPdfPages)
            {
                throw new DocumentRejectedException(DocumentProblem.TooLarge,
                    $"'{fileName}' has {document.NumberOfPages:N0} pages; a PDF may have at most {limits.MaxPdfPages:N0}.");
            }
            for (var number = 1; number <= document.NumberOfPages; number++)
            {
                var page = ContentOrderTextExtractor.GetText(document.GetPage(number));
                budget.ThrowIfExceeded();
                if (text.Length > 0 && page.Length > 0) text.Append("\n\n");
                text.Append(page);
                if (text.Length > limits.MaxExtractedCharacters)
                {
                    throw DocumentReader.TooMuchText(fileName, limits);
                }
            }
        }
        catch (PdfDocumentEncryptedException ex)
        {
            throw new DocumentRejectedException(DocumentProblem.Unreadable,
                $"'{fileName}' is encrypted and needs a password to be read; send it unprotected.", ex);
        }
        catch (Exception ex) when (ex is not (DocumentRejectedException or OutOfMemoryException or OperationCanceledException))
        {
            // A stream over the budget may surface wrapped in PdfPig's own exception; the budget says what happened.
            budget.ThrowIfExceeded();
            throw Unreadable(fileName, $"PdfPig cannot parse it ({ex.Message})", ex);
        }
        budget.ThrowIfExceeded();
        return text.ToString();
    }

    private static DocumentRejectedException Unreadable(string fileName, string why, Exception? inner = null) =>
        new(DocumentProblem.Unreadable, $"'{fileName}' cannot be read as a PDF: {why}.", inner);

    /// <summary>How many bytes the document's streams may still decode to; once spent, every further decode is refused.</summary>
    private sealed class DecodeBudget(string fileName, long limit)
    {
        private long _spent;

        public bool Exceeded { get; private set; }

        /// <summary>Inflates a Flate stream into nothing, counting, and refuses it before PdfPig would expand it past the budget.</summary>
        public void CheckInflated(Memory<byte> compressed)
        {
            if (compressed.Length <= 2 || !MemoryMarshal.TryGetArray<byte>(compressed, out var segment)) return;
            var remaining = limit - _spent;
            try
            {
                // As PdfPig's FlateFilter does: skip the two-byte zlib header, then raw deflate.
                using var deflate = new DeflateStream(new MemoryStream(segment.Array!, segment.Offset + 2, segment.Count - 2, writable: false),
                    CompressionMode.Decompress);
                var sink = new byte[81920];
                long inflated = 0;
                int read;
                while ((read = deflate.Read(sink)) > 0)
                {
                    inflated += read;
                    if (inflated > remaining) Refuse();
                }
            }
            catch (InvalidDataException)
            {
                // Broken data: PdfPig decides what to do with it (and what it does decode still counts).
            }
        }

        public void Spend(long bytes)
        {
            _spent += bytes;
            if (_spent > limit) Refuse();
        }

        public void ThrowIfExceeded()
        {
            if (Exceeded) throw Rejection();
        }

        private void Refuse()
        {
            Exceeded = true;
            throw Rejection();
        }

        private DocumentRejectedException Rejection() => new(DocumentProblem.Unreadable,
            $"'{fileName}' cannot be read as a PDF: its compressed streams expand to more than {limit:N0} bytes " +
            "(refused as a possible decompression bomb).");
    }

    private sealed class BoundedFilterProvider(IFilterProvider inner, DecodeBudget budget) : IFilterProvider
    {
        public IReadOnlyList<IFilter> GetFilters(DictionaryToken dictionary) => Wrap(inner.GetFilters(dictionary));

        public IReadOnlyList<IFilter> GetNamedFilters(IReadOnlyList<NameToken> names) => Wrap(inner.GetNamedFilters(names));

        public IReadOnlyList<IFilter> GetAllFilters() => Wrap(inner.GetAllFilters());

        private IReadOnlyList<IFilter> Wrap(IReadOnlyList<IFilter> filters) => [.. filters.Select(f => new BoundedFilter(f, budget))];
    }

    private sealed class BoundedFilter(IFilter inner, DecodeBudget budget) : IFilter
    {
        public bool IsSupported => inner.IsSupported;

        public Memory<byte> Decode(Memory<byte> input, DictionaryToken streamDictionary, IFilterProvider filterProvider, int filterIndex)
        {
            budget.ThrowIfExceeded();
            if (inner is FlateFilter)
            {
                budget.CheckInflated(input);
            }
            var output = inner.Decode(input, streamDictionary, filterProvider, filterIndex);
            budget.Spend(output.Length);
            return output;
        }
    }
}
