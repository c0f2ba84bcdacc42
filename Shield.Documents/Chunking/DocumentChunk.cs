namespace Shield.Documents.Chunking;

/// <summary>
/// One chunk of a document, as LightRAG's <c>chunking_by_token_size</c> makes it: <paramref name="Content"/> is the
/// decoded token window with surrounding whitespace stripped, <paramref name="Tokens"/> the window's token count.
/// </summary>
/// <param name="Index">LightRAG's <c>chunk_order_index</c>: the window's position in the document, from 0.</param>
/// <param name="FirstToken">Where the window starts in the document's token sequence (with a split character: in the
/// pieces' tokens, counted piece by piece).</param>
public sealed record DocumentChunk(int Index, string Content, int Tokens, int FirstToken);
