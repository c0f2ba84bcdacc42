namespace Shield.Contracts.Jobs;

/// <summary>The states a job moves through: queued → processing → completed | failed, or cancelled at any point before.</summary>
public static class JobStatus
{
    public const string Queued = "queued";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string status) => status is Completed or Failed or Cancelled;
}
