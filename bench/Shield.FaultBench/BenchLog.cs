namespace Shield.FaultBench;

/// <summary>The bench's progress lines, on standard error (standard output carries only the result line).</summary>
public static class BenchLog
{
    public static void Write(string message) => Console.Error.WriteLine($"[faultbench {DateTime.Now:HH:mm:ss}] {message}");
}
