using Shield.AppHost.Infrastructure;

var builder = DistributedApplication.CreateBuilder(args);

// Redis, PostgreSQL and, when available, Qdrant and Ollama: containers where a runtime answers,
// host executables where none does (see Infrastructure/InfrastructureMode.cs).
var infrastructure = builder.AddShieldInfrastructure();

builder.AddProject<Projects.Shield_Api>(ResourceNames.Api)
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithAiServices(infrastructure)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.AddProject<Projects.Shield_Workers>(ResourceNames.Workers)
    .WithReference(infrastructure.Redis).WaitFor(infrastructure.Redis)
    .WithReference(infrastructure.Database).WaitFor(infrastructure.Database)
    .WithAiServices(infrastructure)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
