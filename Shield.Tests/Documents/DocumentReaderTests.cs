using System.Security.Cryptography;
using System.Text;
using DocumentFormat.OpenXml.Wordprocessing;
using Shield.Documents;
using Shield.Documents.Extraction;

namespace Shield.Tests.Documents;

/// <summary>Text extraction per file type, and each way a file is refused, on files the libraries themselves wrote (or crafted ones).</summary>
public sealed class DocumentReaderTests
{
    private readonly DocumentReader _reader = new();

    [Fact]
    public void A_PDF_written_by_PdfPig_gives_back_its_lines()
    {
        var pdf = TestDocuments.Pdf("The lighthouse at Cape Wrath was built in 1828.", "Robert Stevenson designed it.");

        var document = _reader.Read("cape-wrath.pdf", pdf);

        Assert.Equal(FileType.Pdf, document.Type);
        Assert.Contains("The lighthouse at Cape Wrath was built in 1828.", document.Text);
        Assert.Contains("Robert Stevenson designed it.", document.Text);
        Assert.True(document.Text.IndexOf("1828", StringComparison.Ordinal) < document.Text.IndexOf("Stevenson", StringComparison.Ordinal));
        Assert.Equal(pdf.Length, document.SizeBytes);
    }

    [Fact]
    public void A_docx_gives_one_line_per_paragraph_with_table_cells_tabs_and_breaks()
    {
        var docx = TestDocuments.Docx(new Body(
            new Paragraph(new Run(new Text("First paragraph."))),
            new Paragraph(new Run(new Text("Name"), new TabChar(), new Text("Value")), new Run(new Break(), new Text("after a break"))),
            new Table(new TableRow(new TableCell(new Paragraph(new Run(new Text("In a cell."))))))));

        var document = _reader.Read("notes.DOCX", docx);

        Assert.Equal(FileType.Docx, document.Type);
        Assert.Equal("First paragraph.\nName\tValue\nafter a break\nIn a cell.", document.Text);
    }

    [Fact]
    public void Text_and_markdown_are_UTF8_and_the_id_is_doc_plus_the_MD5_of_the_cleaned_text()
    {
        var document = _reader.Read("readme.md", "\uFEFF  # Café ☕\n\nBody.\n\n"u8.ToArray());

        Assert.Equal(FileType.Markdown, document.Type);
        Assert.Equal("# Café ☕\n\nBody.", document.Text);
        Assert.Equal("doc-" + Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("# Café ☕\n\nBody."))), document.DocumentId);
        // The same text sent as text is the same document.
        Assert.Equal(document.DocumentId, _reader.FromText("pasted", FileType.Text, 10, "# Café ☕\n\nBody.\n").DocumentId);
        Assert.True(DocumentIds.IsWellFormed(document.DocumentId));
    }

    public static TheoryData<string, byte[], DocumentProblem, string> Refusals() => new()
    {
        { "program.exe", [0x4D, 0x5A, 0x90, 0x00], DocumentProblem.UnsupportedType, "not a file type Shield reads" },
        { "no-extension", "plain words"u8.ToArray(), DocumentProblem.UnsupportedType, ".txt, .md, .pdf, .docx" },
        { "empty.txt", [], DocumentProblem.Empty, "is empty" },
        { "blank.md", "  \n\t\n"u8.ToArray(), DocumentProblem.Empty, "only whitespace" },
        { "latin1.txt", [0x66, 0xE9, 0x74, 0xE9], DocumentProblem.Unreadable, "not UTF-8" },
        { "binary.txt", [0x89, 0x50, 0x4E, 0x47, 0x00, 0x01], DocumentProblem.Unreadable, "binary file" },
        { "garbage.pdf", RandomBytes(4096), DocumentProblem.Unreadable, "no %PDF- header" },
        { "truncated.pdf", TestDocuments.Pdf("Cut short.")[..200], DocumentProblem.Unreadable, "cannot be read as a PDF" },
        { "locked.pdf", TestDocuments.EncryptedPdf(), DocumentProblem.Unreadable, "encrypted" },
        { "scanned.pdf", TestDocuments.Pdf(), DocumentProblem.Empty, "no extractable text" },
        { "text.docx", "This is not a zip archive."u8.ToArray(), DocumentProblem.Unreadable, "not a zip archive" },
        { "other.docx", EmptyZip(), DocumentProblem.Unreadable, "cannot be read as a .docx" },
        { "bomb.docx", TestDocuments.ZipBombDocx(64L * 1024 * 1024), DocumentProblem.Unreadable, "zip bomb" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_file_that_is_not_a_readable_document_is_refused_with_its_reason(string fileName, byte[] bytes, DocumentProblem problem, string reason)
    {
        var refused = Assert.Throws<DocumentRejectedException>(() => _reader.Read(fileName, bytes));

        Assert.Equal(problem, refused.Problem);
        Assert.Contains(reason, refused.Message);
        Assert.Contains(fileName, refused.Message);
    }

    [Fact]
    public void Limits_refuse_a_large_file_too_much_text_and_parts_that_expand_too_far()
    {
        var small = new DocumentReader(new DocumentReadLimits { MaxFileBytes = 1000, MaxExtractedCharacters = 50 });

        Assert.Equal(DocumentProblem.TooLarge, Assert.Throws<DocumentRejectedException>(() => small.Read("big.txt", new byte[1001])).Problem);
        var wordy = Assert.Throws<DocumentRejectedException>(() => small.Read("wordy.txt", Encoding.UTF8.GetBytes(new string('w', 60))));
        Assert.Equal(DocumentProblem.TooLarge, wordy.Problem);
        Assert.Contains("more than 50 characters", wordy.Message);

        // Under the ratio check (1 MiB), over the expansion budget: refused on the declared sizes, before it is expanded.
        var tight = new DocumentReader(new DocumentReadLimits { MaxUnpackedBytes = 512 * 1024 });
        var expanding = Assert.Throws<DocumentRejectedException>(() => tight.Read("expanding.docx", TestDocuments.ZipBombDocx(900 * 1024)));
        Assert.Contains("expand to more than 524,288 bytes", expanding.Message);

        // A PDF content stream that inflates past the budget is refused, not expanded by PdfPig.
        var generous = new DocumentReader(new DocumentReadLimits { MaxUnpackedBytes = 1024 * 1024 });
        var bomb = Assert.Throws<DocumentRejectedException>(() => generous.Read("bomb.pdf", TestDocuments.FlateBombPdf(8 * 1024 * 1024)));
        Assert.Equal(DocumentProblem.Unreadable, bomb.Problem);
        Assert.Contains("decompression bomb", bomb.Message);
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(7).NextBytes(bytes);
        return bytes;
    }

    private static byte[] EmptyZip()
    {
        using var stream = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("hello.txt").Open());
            writer.Write("a zip, but not a Word document");
        }
        return stream.ToArray();
    }
}
