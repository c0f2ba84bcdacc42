using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PayOnce : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "point_hash",
                table: "graph_relationships",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "summary",
                table: "graph_relationships",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "in_summary",
                table: "graph_relationship_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "in_summary",
                table: "graph_entity_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "point_hash",
                table: "graph_entities",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "summary",
                table: "graph_entities",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "extraction_settings",
                table: "chunks",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            // A description summarised before this version was the summary of all the fragments it had then.
            migrationBuilder.Sql("""
                UPDATE graph_entities SET summary = description WHERE summarized;
                UPDATE graph_entity_fragments f SET in_summary = true FROM graph_entities e WHERE e.name = f.entity_name AND e.summarized;
                UPDATE graph_relationships SET summary = description WHERE summarized;
                UPDATE graph_relationship_fragments f SET in_summary = true FROM graph_relationships r
                  WHERE r.source_name = f.source_name AND r.target_name = f.target_name AND r.summarized;
                """);

            migrationBuilder.CreateTable(
                name: "job_graph_changes",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_job_graph_changes", x => new { x.job_id, x.source_name, x.target_name });
                });

            migrationBuilder.CreateTable(
                name: "model_cache",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    value = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_cache", x => x.key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_model_cache_last_used_at",
                table: "model_cache",
                column: "last_used_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "job_graph_changes");

            migrationBuilder.DropTable(
                name: "model_cache");

            migrationBuilder.DropColumn(
                name: "point_hash",
                table: "graph_relationships");

            migrationBuilder.DropColumn(
                name: "summary",
                table: "graph_relationships");

            migrationBuilder.DropColumn(
                name: "in_summary",
                table: "graph_relationship_fragments");

            migrationBuilder.DropColumn(
                name: "in_summary",
                table: "graph_entity_fragments");

            migrationBuilder.DropColumn(
                name: "point_hash",
                table: "graph_entities");

            migrationBuilder.DropColumn(
                name: "summary",
                table: "graph_entities");

            migrationBuilder.DropColumn(
                name: "extraction_settings",
                table: "chunks");
        }
    }
}
