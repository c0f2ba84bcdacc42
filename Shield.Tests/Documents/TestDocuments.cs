using System.IO.Compression;
using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Shield.Tests.Documents;

/// <summary>Files the document tests send: made with the libraries Shield reads them with, or crafted byte by byte where a library cannot make them.</summary>
public static class TestDocuments
{
    /// <summary>A one-page PDF with one line per string, written by PdfPig's builder.</summary>
    public static byte[] Pdf(params string[] lines)
    {
        var builder = new PdfDocumentBuilder();
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        for (var i = 0; i < lines.Length; i++)
        {
            page.AddText(lines[i], 11, new PdfPoint(40, 780 - 18 * i), font);
        }
        return builder.Build();
    }

    /// <summary>A .docx with one paragraph per string, written by the Open XML SDK.</summary>
    public static byte[] Docx(params string[] paragraphs) => Docx(new Body(paragraphs.Select(p => new Paragraph(new Run(new Text(p))))));

    public static byte[] Docx(Body body)
    {
        using var stream = new MemoryStream();
        using (var document = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            document.AddMainDocumentPart().Document = new Document(body);
        }
        return stream.ToArray();
    }

    /// <summary>
    /// A zip named like a .docx whose <c>word/document.xml</c> expands to <paramref name="expandedBytes"/> of spaces: a
    /// few kilobytes sent, hundreds of megabytes once opened.
    /// </summary>
    public static byte[] ZipBombDocx(long expandedBytes)
    {
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using (var types = new StreamWriter(zip.CreateEntry("[Content_Types].xml").Open()))
            {
                types.Write("""<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>""");
            }
            using var document = zip.CreateEntry("word/document.xml", CompressionLevel.SmallestSize).Open();
            var spaces = new byte[1024 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (long written = 0; written < expandedBytes; written += spaces.Length)
            {
                document.Write(spaces, 0, (int)Math.Min(spaces.Length, expandedBytes - written));
            }
        }
        return stream.ToArray();
    }

    /// <summary>
    /// A PDF encrypted with the standard security handler whose user password is not empty, so it cannot be read
    /// without one (PdfPig writes no encrypted files; the /U entry here matches no password).
    /// </summary>
    public static byte[] EncryptedPdf() => RawPdf(
        extraObjects: ["<< /Filter /Standard /V 1 /R 2 /O <" + new string('a', 64) + "> /U <" + new string('b', 64) + "> /P -44 >>"],
        trailerExtra: " /Encrypt 5 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>]");

    /// <summary>A PDF whose one page's content stream is <paramref name="expandedBytes"/> of zeros, Flate-compressed to almost nothing.</summary>
    public static byte[] FlateBombPdf(int expandedBytes)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[expandedBytes]);
        }
        return RawPdf(content: compressed.ToArray(), contentFilter: "/Filter /FlateDecode ");
    }

    /// <summary>A minimal PDF written by hand, cross-reference table included, for files no library writes.</summary>
    private static byte[] RawPdf(string[]? extraObjects = null, string trailerExtra = "", byte[]? content = null, string contentFilter = "")
    {
        content ??= "BT /F1 12 Tf 72 720 Td (Hidden text) Tj ET"u8.ToArray();
        var latin1 = Encoding.Latin1;
        using var pdf = new MemoryStream();
        var offsets = new List<long>();
        void Write(string text) => pdf.Write(latin1.GetBytes(text));
        void Object(Action body)
        {
            offsets.Add(pdf.Position);
            Write($"{offsets.Count} 0 obj\n");
            body();
            Write("\nendobj\n");
        }

        Write("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        Object(() => Write("<< /Type /Catalog /Pages 2 0 R >>"));
        Object(() => Write("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"));
        Object(() => Write("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R " +
            "/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"));
        Object(() =>
        {
            Write($"<< {contentFilter}/Length {content.Length} >>\nstream\n");
            pdf.Write(content);
            Write("\nendstream");
        });
        foreach (var extra in extraObjects ?? [])
        {
            Object(() => Write(extra));
        }
        var xref = pdf.Position;
        Write($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            Write($"{offset:D10} 00000 n \n");
        }
        Write($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R{trailerExtra} >>\nstartxref\n{xref}\n%%EOF\n");
        return pdf.ToArray();
    }
}
