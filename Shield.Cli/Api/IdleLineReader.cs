namespace Shield.Cli.Api;

/// <summary>A line reader that reports each line read, so a caller can restart an idle timer.</summary>
internal sealed class IdleLineReader(TextReader inner, Action onLine) : TextReader
{
    public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = await inner.ReadLineAsync(cancellationToken);
        if (line is not null) onLine();
        return line;
    }

    public override string? ReadLine() => throw new NotSupportedException("Read the event stream asynchronously.");

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
