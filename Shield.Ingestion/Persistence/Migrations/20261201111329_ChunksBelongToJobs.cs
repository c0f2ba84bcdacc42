using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ChunksBelongToJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "job_chunks",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    chunk_index = table.Column<int>(type: "integer", nullable: false),
                    chunk_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    source_uri = table.Column<string>(type: "text", nullable: false),
                    source_type = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    metadata = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_chunks", x => new { x.job_id, x.chunk_index });
                    table.ForeignKey(
                        name: "FK_job_chunks_chunks_chunk_id",
                        column: x => x.chunk_id,
                        principalTable: "chunks",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_job_chunks_chunk_id",
                table: "job_chunks",
                column: "chunk_id");

            // A chunk row named only the last job that wrote it; that job keeps its claim, the others are not known.
            migrationBuilder.Sql("""
                INSERT INTO job_chunks (job_id, chunk_index, chunk_id, source_uri, source_type, metadata, created_at)
                SELECT job_id, chunk_index, id, source_uri, source_type, metadata, updated_at FROM chunks
                ON CONFLICT DO NOTHING
                """);

            migrationBuilder.DropIndex(
                name: "IX_chunks_job_id",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "chunk_index",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "job_id",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "metadata",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "source_type",
                table: "chunks");

            migrationBuilder.DropColumn(
                name: "source_uri",
                table: "chunks");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_chunks");

            migrationBuilder.AddColumn<int>(
                name: "chunk_index",
                table: "chunks",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<Guid>(
                name: "job_id",
                table: "chunks",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            migrationBuilder.AddColumn<string>(
                name: "metadata",
                table: "chunks",
                type: "jsonb",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "source_type",
                table: "chunks",
                type: "character varying(256)",
                maxLength: 256,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "source_uri",
                table: "chunks",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "IX_chunks_job_id",
                table: "chunks",
                column: "job_id");
        }
    }
}
