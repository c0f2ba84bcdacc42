namespace Shield.Drills;

/// <summary>The checkout the running tests or bench were built in.</summary>
public static class Repository
{
    /// <summary>The folder holding Shield.Aspire.sln, found by walking up from the running program's binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Shield.Aspire.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Shield.Aspire.sln not found above " + AppContext.BaseDirectory);
    }
}
