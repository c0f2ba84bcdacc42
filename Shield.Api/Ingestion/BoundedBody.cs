namespace Shield.Api.Ingestion;

/// <summary>
/// Reads a request body, or one part of a multipart upload, whole but only up to a limit: the readers that validate a
/// request before anything is recorded (<see cref="IngestionRequestReader"/>, <c>DocumentUploadReader</c>) need all of
/// it, and an oversized one must be refused without buffering it all.
/// </summary>
internal static class BoundedBody
{
    /// <summary>The bytes of <paramref name="body"/>, or null as soon as they pass <paramref name="limit"/>.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
