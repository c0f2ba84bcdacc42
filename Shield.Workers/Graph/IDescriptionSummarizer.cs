namespace Shield.Workers.Graph;

/// <summary>Condenses a node's or edge's description fragments once there are too many to keep joined.</summary>
public interface IDescriptionSummarizer
{
    /// <summary>Human-readable name for logs and health.</summary>
    string Description { get; }

    Task<string> SummarizeAsync(string subject, IReadOnlyList<string> fragments, CancellationToken cancellationToken);
}
