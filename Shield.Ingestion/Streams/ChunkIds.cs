using System.Security.Cryptography;
using System.Text;

namespace Shield.Ingestion.Streams;

/// <summary>Content addresses in LightRAG's style, so the same text always lands on the same rows and vectors.</summary>
public static class ChunkIds
{
    public static string ForContent(string content) => "chunk-" + Md5Hex(content.Trim());

    public static string Md5Hex(string text) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
}
