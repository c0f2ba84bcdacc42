using Shield.Ingestion.Streams;

namespace Shield.Workers.Processing;

/// <summary>
/// The work a chunk goes through once a consumer holds it. Implementations must be idempotent: a chunk can be
/// delivered more than once (redelivery after a crash, a retry), and the second run must leave the same state.
/// </summary>
public interface IChunkProcessor
{
    Task<ChunkProcessingResult> ProcessAsync(ChunkMessage chunk, CancellationToken cancellationToken);
}

/// <param name="Reused">True when the text was already stored under the same settings: no model call, no embedding.</param>
public sealed record ChunkProcessingResult(string ChunkId, int VectorsWritten, bool Reused = false);
