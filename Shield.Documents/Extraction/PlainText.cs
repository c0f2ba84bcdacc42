using System.Text;

namespace Shield.Documents.Extraction;

/// <summary>
/// Text files as both the CLI and the Api read them: UTF-8 (a byte-order mark is dropped), refused as binary when the
/// start holds a NUL byte or any byte sequence is not UTF-8.
/// </summary>
public static class PlainText
{
    /// <summary>How much of a file is checked for NUL bytes, as git and grep do.</summary>
    private const int BinaryProbeBytes = 8000;

    public const string Binary = "binary file";
    public const string NotUtf8 = "not UTF-8 text (binary?)";
    public const string Empty = "empty";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Why the bytes are not text to ingest (<see cref="Binary"/>, <see cref="NotUtf8"/>, <see cref="Empty"/>), or null with the decoded text.</summary>
    public static string? Classify(ReadOnlySpan<byte> bytes, out string text)
    {
        text = "";
        if (bytes[..Math.Min(bytes.Length, BinaryProbeBytes)].Contains((byte)0))
        {
            return Binary;
        }
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return NotUtf8;
        }
        return string.IsNullOrWhiteSpace(text) ? Empty : null;
    }
}
