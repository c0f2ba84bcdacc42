using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Shield.Documents;

/// <summary>
/// LightRAG's document ids: <c>doc-</c> + MD5 of the document's cleaned text (<c>compute_mdhash_id(content, prefix="doc-")</c>
/// after <c>clean_text</c>: NUL characters removed, surrounding whitespace stripped). The same text is the same document,
/// whichever file or request it came in.
/// </summary>
public static partial class DocumentIds
{
    public const string Prefix = "doc-";

    /// <summary>The text as it is identified and chunked.</summary>
    public static string Clean(string text) => text.Replace("\0", "", StringComparison.Ordinal).Trim();

    /// <summary>The id of an already <see cref="Clean"/>ed text.</summary>
    public static string ForCleanText(string cleanText) =>
        Prefix + Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(cleanText)));

    /// <summary>True for <c>doc-</c> and 32 lower-case hex digits.</summary>
    public static bool IsWellFormed(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex("^doc-[0-9a-f]{32}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
