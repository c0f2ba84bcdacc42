namespace Shield.AppHost.Infrastructure;

/// <summary>
/// Something the person starting the AppHost has to install or configure. Its message says what and how;
/// AppHost.cs prints it alone and exits non-zero, because a stack trace would only bury it.
/// </summary>
public sealed class SetupProblemException(string message) : DistributedApplicationException(message);
