using Shield.Api.ApiReference;
using Shield.Api.Documents;
using Shield.Api.Events;
using Shield.Api.Graph;
using Shield.Api.Health;
using Shield.Api.Ingestion;
using Shield.Api.Jobs;
using Shield.Api.JobsPage;
using Shield.Api.Query;
using Shield.Api.Security;
using Shield.Ingestion;
using Shield.Ingestion.Persistence;
using Shield.Knowledge;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("redis");
builder.AddNpgsqlDbContext<ShieldDbContext>("shield");
builder.Services.AddJobTracking();
builder.AddIngestion();
builder.AddDocuments();
builder.AddApiSecurity();
builder.AddKnowledgeBase();
builder.Services.AddSingleton<EventNotifications>();
builder.Services.AddHostedService(services => services.GetRequiredService<EventNotifications>());
builder.Services.AddSingleton<EventStreamLimits>();
builder.Services.AddScoped<DetailedHealth>();
builder.Services.AddProblemDetails();
// Malformed bodies of typed endpoints are 400 problems in every environment, not exceptions that surface as 500.
builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
builder.Services.AddApiReference();

var app = builder.Build();

await app.Services.MigrateShieldDatabaseAsync();

// Every error the Api gives, from a validation failure to an unknown route or a crash, is a problem document.
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseJobsPage();
app.UseCors();
app.UseApiSecurity();

// Closed by default: each feature maps its endpoints in MapReadGroup() or MapWriteGroup() (Security/ShieldEndpointGroups.cs);
// only /health, /alive and /session are open.
app.MapDefaultEndpoints();
app.MapSessionEndpoints();
app.MapReadGroup().MapApiReference();
app.MapIngestionEndpoints();
app.MapDocumentEndpoints();
app.MapJobEndpoints();
app.MapEventEndpoints();
app.MapDetailedHealthEndpoints();
app.MapGraphEndpoints();
app.MapQueryEndpoints();

app.Run();
