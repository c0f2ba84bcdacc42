using Shield.Ingestion;
using Shield.Ingestion.Persistence;
using Shield.Workers.Pool;
using Shield.Workers.Processing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddNpgsqlDbContext<ShieldDbContext>("shield");
builder.Services.AddJobTracking();
builder.AddChunkProcessing();
builder.AddWorkerPool();

var app = builder.Build();

await app.Services.MigrateShieldDatabaseAsync();
app.MapDefaultEndpoints();

app.Run();
