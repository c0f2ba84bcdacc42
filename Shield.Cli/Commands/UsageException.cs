namespace Shield.Cli.Commands;

/// <summary>The command line is wrong in a way only running the command finds out (a path that does not exist); exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
