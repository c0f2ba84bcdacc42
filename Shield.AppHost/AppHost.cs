using Microsoft.Extensions.Configuration;
using Shield.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Redis, PostgreSQL and, when available, Qdrant and Ollama: containers where a runtime answers,
// host executables where none does (see Infrastructure/InfrastructureMode.cs).
ShieldInfrastructure infrastructure;
try
{
    infrastructure = builder.AddShieldInfrastructure();
}
catch (SetupProblemException problem)
{
    // Something to install or configure (a first run without redis-server, say): the message alone says what.
    Console.Error.WriteLine(problem.Message);
    return 1;
}

var api = builder.AddProject<Projects.Shield_Api>(ResourceNames.Api)
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithAiServices(infrastructure)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithSettingsFrom(builder.Configuration, "Shield:Api", "Shield:Ingestion", "Shield:Documents", "Shield:Workers:JobStatusTtl", "Shield:Telemetry")
    .ExitingWithThisRun();

// Keys close the Api (everything but /health and /alive): `api-key` reads and writes, `api-read-key` only reads; each
// may list several keys, comma-separated, to rotate without downtime. A deployment always has both: `api-key` must be
// given, `api-read-key` is generated unless given. Locally the Api stays open (and says so) until you set a key:
// `dotnet user-secrets --project Shield.AppHost set Parameters:api-key ...`.
if (builder.ExecutionContext.IsPublishMode || !string.IsNullOrEmpty(builder.Configuration["Parameters:api-key"]))
{
    api.WithEnvironment("Shield__Api__ApiKey", builder.AddParameter("api-key", secret: true));
}
if (builder.ExecutionContext.IsPublishMode)
{
    api.WithEnvironment("Shield__Api__ReadApiKey",
        builder.AddParameter("api-read-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true));
}
else if (!string.IsNullOrEmpty(builder.Configuration["Parameters:api-read-key"]))
{
    api.WithEnvironment("Shield__Api__ReadApiKey", builder.AddParameter("api-read-key", secret: true));
}

// Two Workers processes by default, so losing one (kill -9, OOM) never stops ingestion: the other claims its
// unacknowledged entries once they have been idle longer than the task timeout.
builder.AddProject<Projects.Shield_Workers>(ResourceNames.Workers)
    .WithReplicas(builder.Configuration.GetValue("Shield:Workers:Replicas", 2))
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithAiServices(infrastructure)
    .WithHttpHealthCheck("/health")
    .WithSettingsFrom(builder.Configuration, "Shield:Workers", "Shield:Extraction", "Shield:ModelCache", "Shield:Embeddings", "Shield:Finalization", "Shield:Telemetry")
    .ExitingWithThisRun();

builder.Build().Run();
return 0;
