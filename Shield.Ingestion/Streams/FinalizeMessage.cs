using StackExchange.Redis;

namespace Shield.Ingestion.Streams;

/// <summary>
/// A job's finalisation, queued on <see cref="IngestionStream.Key"/> by the step that counts its last chunk (or cancels
/// it): a consumer summarises and embeds what the job changed in the graph, then ends the job. It travels like a chunk
/// (delivered, claimed back from a dead consumer, acknowledged when done), so it runs at least once. Its first field
/// is <see cref="KindField"/>, which is how the scripts and the consumers tell it from a chunk.
/// </summary>
public sealed record FinalizeMessage(Guid JobId, string? TraceParent, string? TraceState)
{
    public const string KindField = "kind";
    public const string Kind = "finalize";

    /// <summary>True when the entry is a finalisation; <paramref name="message"/> is null when it is one but unreadable.</summary>
    public static bool TryRead(StreamEntry entry, out FinalizeMessage? message)
    {
        message = null;
        if (entry.IsNull || entry.Values is not { Length: > 0 } fields || fields[0].Name != KindField || fields[0].Value != Kind)
        {
            return false;
        }
        string? jobText = null, traceParent = null, traceState = null;
        foreach (var field in fields)
        {
            switch ((string?)field.Name)
            {
                case "job_id": jobText = (string?)field.Value; break;
                case "traceparent": traceParent = (string?)field.Value; break;
                case "tracestate": traceState = (string?)field.Value; break;
            }
        }
        if (Guid.TryParse(jobText, out var jobId))
        {
            message = new FinalizeMessage(jobId, string.IsNullOrEmpty(traceParent) ? null : traceParent, string.IsNullOrEmpty(traceState) ? null : traceState);
        }
        return true;
    }
}
