using Microsoft.EntityFrameworkCore;

namespace Shield.Ingestion.Persistence;

/// <summary>Shield's PostgreSQL schema: durable jobs, documents, processed chunks and the embedded vector store.</summary>
public sealed class ShieldDbContext(DbContextOptions<ShieldDbContext> options) : DbContext(options)
{
    public DbSet<JobRow> Jobs => Set<JobRow>();
    public DbSet<ChunkRow> Chunks => Set<ChunkRow>();
    public DbSet<JobChunkRow> JobChunks => Set<JobChunkRow>();
    public DbSet<VectorRow> Vectors => Set<VectorRow>();
    public DbSet<GraphEntityRow> GraphEntities => Set<GraphEntityRow>();
    public DbSet<GraphEntityFragmentRow> GraphEntityFragments => Set<GraphEntityFragmentRow>();
    public DbSet<GraphRelationshipRow> GraphRelationships => Set<GraphRelationshipRow>();
    public DbSet<GraphRelationshipFragmentRow> GraphRelationshipFragments => Set<GraphRelationshipFragmentRow>();
    public DbSet<JobGraphChangeRow> JobGraphChanges => Set<JobGraphChangeRow>();
    public DbSet<GraphElementStateRow> GraphElementStates => Set<GraphElementStateRow>();
    public DbSet<GraphDescriptionRow> GraphDescriptions => Set<GraphDescriptionRow>();
    public DbSet<GraphEntityTypeRow> GraphEntityTypes => Set<GraphEntityTypeRow>();
    public DbSet<GraphRelationshipKeywordRow> GraphRelationshipKeywords => Set<GraphRelationshipKeywordRow>();
    public DbSet<ModelCacheEntryRow> ModelCache => Set<ModelCacheEntryRow>();
    public DbSet<DocumentRow> Documents => Set<DocumentRow>();
    public DbSet<DocumentJobRow> DocumentJobs => Set<DocumentJobRow>();

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
            chunk.Property(c => c.ExtractionSettings).HasColumnName("extraction_settings").HasMaxLength(32);
            chunk.Property(c => c.CreatedAt).HasColumnName("created_at");
            chunk.Property(c => c.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<JobChunkRow>(link =>
        {
            link.ToTable("job_chunks");
            link.HasKey(l => new { l.JobId, l.ChunkIndex });
            link.Property(l => l.JobId).HasColumnName("job_id");
            link.Property(l => l.ChunkIndex).HasColumnName("chunk_index");
            link.Property(l => l.ChunkId).HasColumnName("chunk_id").HasMaxLength(64);
            link.Property(l => l.SourceUri).HasColumnName("source_uri");
            link.Property(l => l.SourceType).HasColumnName("source_type").HasMaxLength(256);
            link.Property(l => l.MetadataJson).HasColumnName("metadata").HasColumnType("jsonb");
            link.Property(l => l.CreatedAt).HasColumnName("created_at");
            link.HasIndex(l => l.ChunkId);
            // A link never outlives its text: removing a chunk means removing every job's claim on it first.
            link.HasOne<ChunkRow>().WithMany().HasForeignKey(l => l.ChunkId).OnDelete(DeleteBehavior.Restrict);
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

        modelBuilder.Entity<GraphEntityRow>(entity =>
        {
            entity.ToTable("graph_entities");
            entity.HasKey(e => e.Name);
            entity.Property(e => e.Name).HasColumnName("name").HasMaxLength(256);
            entity.Property(e => e.EntityType).HasColumnName("entity_type").HasMaxLength(64);
            entity.Property(e => e.Description).HasColumnName("description");
            entity.Property(e => e.SourceChunkIds).HasColumnName("source_chunk_ids");
            entity.Property(e => e.FragmentCount).HasColumnName("fragment_count");
            entity.Property(e => e.ViewHash).HasColumnName("view_hash").HasMaxLength(32);
            entity.Property(e => e.Summarized).HasColumnName("summarized");
            entity.Property(e => e.Summary).HasColumnName("summary");
            entity.Property(e => e.PointHash).HasColumnName("point_hash").HasMaxLength(32);
            entity.Property(e => e.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.Entity<GraphEntityFragmentRow>(fragment =>
        {
            fragment.ToTable("graph_entity_fragments");
            fragment.HasKey(f => new { f.EntityName, f.ChunkId });
            fragment.Property(f => f.EntityName).HasColumnName("entity_name").HasMaxLength(256);
            // Chunk ids compare bytewise ("C") in every database, so the graph lists them in the order C# does (ordinal).
            fragment.Property(f => f.ChunkId).HasColumnName("chunk_id").HasMaxLength(64).UseCollation("C");
            fragment.Property(f => f.EntityType).HasColumnName("entity_type").HasMaxLength(64);
            fragment.Property(f => f.Description).HasColumnName("description");
            fragment.Property(f => f.CreatedAt).HasColumnName("created_at");
            fragment.HasIndex(f => f.ChunkId);
        });

        modelBuilder.Entity<GraphRelationshipRow>(relationship =>
        {
            relationship.ToTable("graph_relationships");
            relationship.HasKey(r => new { r.SourceName, r.TargetName });
            relationship.Property(r => r.SourceName).HasColumnName("source_name").HasMaxLength(256);
            relationship.Property(r => r.TargetName).HasColumnName("target_name").HasMaxLength(256);
            relationship.Property(r => r.Keywords).HasColumnName("keywords");
            relationship.Property(r => r.Description).HasColumnName("description");
            relationship.Property(r => r.Weight).HasColumnName("weight");
            relationship.Property(r => r.SourceChunkIds).HasColumnName("source_chunk_ids");
            relationship.Property(r => r.FragmentCount).HasColumnName("fragment_count");
            relationship.Property(r => r.ViewHash).HasColumnName("view_hash").HasMaxLength(32);
            relationship.Property(r => r.Summarized).HasColumnName("summarized");
            relationship.Property(r => r.Summary).HasColumnName("summary");
            relationship.Property(r => r.PointHash).HasColumnName("point_hash").HasMaxLength(32);
            relationship.Property(r => r.UpdatedAt).HasColumnName("updated_at");
            relationship.HasIndex(r => r.TargetName);
        });

        modelBuilder.Entity<GraphRelationshipFragmentRow>(fragment =>
        {
            fragment.ToTable("graph_relationship_fragments");
            fragment.HasKey(f => new { f.SourceName, f.TargetName, f.ChunkId });
            fragment.Property(f => f.SourceName).HasColumnName("source_name").HasMaxLength(256);
            fragment.Property(f => f.TargetName).HasColumnName("target_name").HasMaxLength(256);
            fragment.Property(f => f.ChunkId).HasColumnName("chunk_id").HasMaxLength(64).UseCollation("C");
            fragment.Property(f => f.Keywords).HasColumnName("keywords");
            fragment.Property(f => f.Description).HasColumnName("description");
            fragment.Property(f => f.Weight).HasColumnName("weight");
            fragment.Property(f => f.CreatedAt).HasColumnName("created_at");
            fragment.HasIndex(f => f.ChunkId);
            // A node's first source chunks when only edges describe it (LightRAG's UNKNOWN endpoint), read in chunk order.
            fragment.HasIndex(f => new { f.SourceName, f.ChunkId });
            fragment.HasIndex(f => new { f.TargetName, f.ChunkId });
        });

        modelBuilder.Entity<JobGraphChangeRow>(change =>
        {
            change.ToTable("job_graph_changes");
            change.HasKey(c => new { c.JobId, c.SourceName, c.TargetName });
            change.Property(c => c.JobId).HasColumnName("job_id");
            change.Property(c => c.SourceName).HasColumnName("source_name").HasMaxLength(256);
            change.Property(c => c.TargetName).HasColumnName("target_name").HasMaxLength(256);
            change.Property(c => c.VectorPending).HasColumnName("vector_pending");
            change.Property(c => c.PointHash).HasColumnName("point_hash").HasMaxLength(32);
        });

        modelBuilder.Entity<GraphElementStateRow>(state =>
        {
            state.ToTable("graph_element_states");
            state.HasKey(s => new { s.SourceName, s.TargetName });
            state.Property(s => s.SourceName).HasColumnName("source_name").HasMaxLength(256);
            state.Property(s => s.TargetName).HasColumnName("target_name").HasMaxLength(256);
            state.Property(s => s.Version).HasColumnName("version");
            state.Property(s => s.PublishedVersion).HasColumnName("published_version");
            state.Property(s => s.Fragments).HasColumnName("fragments");
            state.Property(s => s.EndpointFragments).HasColumnName("endpoint_fragments");
            state.Property(s => s.Descriptions).HasColumnName("descriptions");
            state.Property(s => s.EndpointDescriptions).HasColumnName("endpoint_descriptions");
            state.Property(s => s.Weight).HasColumnName("weight").HasColumnType("numeric");
            state.Property(s => s.NeedsReplay).HasColumnName("needs_replay");
        });

        modelBuilder.Entity<GraphDescriptionRow>(description =>
        {
            description.ToTable("graph_descriptions");
            description.HasKey(d => new { d.SourceName, d.TargetName, d.Kind, d.DescriptionHash });
            description.Property(d => d.SourceName).HasColumnName("source_name").HasMaxLength(256);
            description.Property(d => d.TargetName).HasColumnName("target_name").HasMaxLength(256);
            description.Property(d => d.Kind).HasColumnName("kind");
            description.Property(d => d.DescriptionHash).HasColumnName("description_hash");
            description.Property(d => d.Description).HasColumnName("description");
            description.Property(d => d.Fragments).HasColumnName("fragments");
            description.Property(d => d.FirstChunkId).HasColumnName("first_chunk_id").HasMaxLength(64).UseCollation("C");
            description.Property(d => d.Covered).HasColumnName("covered");
            // What a finalisation lists after the summary: the uncovered descriptions, in chunk order, without the covered history.
            description.HasIndex(d => new { d.SourceName, d.TargetName, d.Kind, d.FirstChunkId })
                .HasDatabaseName("IX_graph_descriptions_uncovered").HasFilter("NOT covered");
        });

        modelBuilder.Entity<GraphEntityTypeRow>(type =>
        {
            type.ToTable("graph_entity_types");
            type.HasKey(t => new { t.EntityName, t.EntityType });
            type.Property(t => t.EntityName).HasColumnName("entity_name").HasMaxLength(256);
            type.Property(t => t.EntityType).HasColumnName("entity_type").HasMaxLength(64);
            type.Property(t => t.Fragments).HasColumnName("fragments");
            type.Property(t => t.FirstChunkId).HasColumnName("first_chunk_id").HasMaxLength(64).UseCollation("C");
        });

        modelBuilder.Entity<GraphRelationshipKeywordRow>(keyword =>
        {
            keyword.ToTable("graph_relationship_keywords");
            keyword.HasKey(k => new { k.SourceName, k.TargetName, k.Keyword });
            keyword.Property(k => k.SourceName).HasColumnName("source_name").HasMaxLength(256);
            keyword.Property(k => k.TargetName).HasColumnName("target_name").HasMaxLength(256);
            keyword.Property(k => k.Keyword).HasColumnName("keyword");
            keyword.Property(k => k.Fragments).HasColumnName("fragments");
        });

        modelBuilder.Entity<ModelCacheEntryRow>(entry =>
        {
            entry.ToTable("model_cache");
            entry.HasKey(e => e.Key);
            entry.Property(e => e.Key).HasColumnName("key").HasMaxLength(256);
            entry.Property(e => e.Value).HasColumnName("value");
            entry.Property(e => e.CreatedAt).HasColumnName("created_at");
            entry.Property(e => e.LastUsedAt).HasColumnName("last_used_at");
            entry.Property(e => e.SizeBytes).HasColumnName("size_bytes").HasComputedColumnSql("octet_length(value)", stored: true);
            // The trimmer walks it both ways: the oldest for the age bound, the newest (summing sizes, index-only) for the size bound.
            entry.HasIndex(e => new { e.LastUsedAt, e.Key }).IncludeProperties(e => e.SizeBytes);
        });

        modelBuilder.Entity<DocumentRow>(document =>
        {
            document.ToTable("documents");
            document.HasKey(d => d.Id);
            document.Property(d => d.Id).HasColumnName("id").HasMaxLength(64);
            document.Property(d => d.Status).HasColumnName("status").HasMaxLength(32);
            document.Property(d => d.SourceName).HasColumnName("source_name").HasMaxLength(1024);
            document.Property(d => d.ContentType).HasColumnName("content_type").HasMaxLength(128);
            document.Property(d => d.SizeBytes).HasColumnName("size_bytes");
            document.Property(d => d.ContentLength).HasColumnName("content_length");
            document.Property(d => d.ContentSummary).HasColumnName("content_summary");
            document.Property(d => d.ChunkCount).HasColumnName("chunk_count");
            document.Property(d => d.Error).HasColumnName("error");
            document.Property(d => d.CreatedAt).HasColumnName("created_at");
            document.Property(d => d.UpdatedAt).HasColumnName("updated_at");
            document.Property(d => d.Version).IsRowVersion();
            // GET /documents pages newest first, with or without a status filter.
            document.HasIndex(d => new { d.CreatedAt, d.Id });
            document.HasIndex(d => new { d.Status, d.CreatedAt, d.Id });
        });

        modelBuilder.Entity<DocumentJobRow>(link =>
        {
            link.ToTable("document_jobs");
            link.HasKey(l => new { l.DocumentId, l.JobId });
            link.Property(l => l.DocumentId).HasColumnName("document_id").HasMaxLength(64);
            link.Property(l => l.JobId).HasColumnName("job_id");
            link.Property(l => l.Kind).HasColumnName("kind").HasMaxLength(16);
            link.Property(l => l.CreatedAt).HasColumnName("created_at");
            // A job's progress finds its document by the job id (JobStore's durable writes).
            link.HasIndex(l => l.JobId);
            link.HasOne<DocumentRow>().WithMany().HasForeignKey(l => l.DocumentId).OnDelete(DeleteBehavior.Cascade);
            link.HasOne<JobRow>().WithMany().HasForeignKey(l => l.JobId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
