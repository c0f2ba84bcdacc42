using Microsoft.EntityFrameworkCore;

namespace Shield.Ingestion.Persistence;

/// <summary>Shield's PostgreSQL schema: durable jobs, processed chunks and the embedded vector store.</summary>
public sealed class ShieldDbContext(DbContextOptions<ShieldDbContext> options) : DbContext(options)
{
    public DbSet<JobRow> Jobs => Set<JobRow>();
    public DbSet<ChunkRow> Chunks => Set<ChunkRow>();
    public DbSet<VectorRow> Vectors => Set<VectorRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<JobRow>(job =>
        {
            job.ToTable("jobs");
            job.HasKey(j => j.Id);
            job.Property(j => j.Id).HasColumnName("id");
            job.Property(j => j.Status).HasColumnName("status").HasMaxLength(32);
            job.Property(j => j.SourceType).HasColumnName("source_type").HasMaxLength(256);
            job.Property(j => j.ChunksTotal).HasColumnName("chunks_total");
            job.Property(j => j.ChunksProcessed).HasColumnName("chunks_processed");
            job.Property(j => j.ChunksFailed).HasColumnName("chunks_failed");
            job.Property(j => j.MetadataJson).HasColumnName("metadata").HasColumnType("jsonb");
            job.Property(j => j.Error).HasColumnName("error");
            job.Property(j => j.CreatedAt).HasColumnName("created_at");
            job.Property(j => j.StartedAt).HasColumnName("started_at");
            job.Property(j => j.CompletedAt).HasColumnName("completed_at");
            job.HasIndex(j => j.CreatedAt);
        });

        modelBuilder.Entity<ChunkRow>(chunk =>
        {
            chunk.ToTable("chunks");
            chunk.HasKey(c => c.Id);
            chunk.Property(c => c.Id).HasColumnName("id").HasMaxLength(64);
            chunk.Property(c => c.Content).HasColumnName("content");
            chunk.Property(c => c.SourceUri).HasColumnName("source_uri");
            chunk.Property(c => c.SourceType).HasColumnName("source_type").HasMaxLength(256);
            chunk.Property(c => c.MetadataJson).HasColumnName("metadata").HasColumnType("jsonb");
            chunk.Property(c => c.JobId).HasColumnName("job_id");
            chunk.Property(c => c.ChunkIndex).HasColumnName("chunk_index");
            chunk.Property(c => c.CreatedAt).HasColumnName("created_at");
            chunk.Property(c => c.UpdatedAt).HasColumnName("updated_at");
            chunk.HasIndex(c => c.JobId);
        });

        modelBuilder.Entity<VectorRow>(vector =>
        {
            vector.ToTable("vectors");
            vector.HasKey(v => new { v.Collection, v.Id });
            vector.Property(v => v.Collection).HasColumnName("collection").HasMaxLength(64);
            vector.Property(v => v.Id).HasColumnName("id").HasMaxLength(128);
            vector.Property(v => v.Embedding).HasColumnName("embedding").HasColumnType("real[]");
            vector.Property(v => v.Content).HasColumnName("content");
            vector.Property(v => v.PayloadJson).HasColumnName("payload").HasColumnType("jsonb");
            vector.Property(v => v.UpdatedAt).HasColumnName("updated_at");
        });
    }
}
