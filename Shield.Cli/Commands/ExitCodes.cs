namespace Shield.Cli.Commands;

public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A job did not complete, the Api refused a request, or the Api could not be reached.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself was wrong (unknown command or option, missing argument, no such file).</summary>
    public const int Usage = 2;

    /// <summary>Ctrl+C, as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
