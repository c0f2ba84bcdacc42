using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeGraph : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "graph_entities",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    entity_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    source_chunk_ids = table.Column<string[]>(type: "text[]", nullable: false),
                    fragment_count = table.Column<int>(type: "integer", nullable: false),
                    fragments_hash = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    summarized = table.Column<bool>(type: "boolean", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_entities", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "graph_entity_fragments",
                columns: table => new
                {
                    entity_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    chunk_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    entity_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_entity_fragments", x => new { x.entity_name, x.chunk_id });
                });

            migrationBuilder.CreateTable(
                name: "graph_relationship_fragments",
                columns: table => new
                {
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    chunk_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    keywords = table.Column<string[]>(type: "text[]", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    weight = table.Column<double>(type: "double precision", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_relationship_fragments", x => new { x.source_name, x.target_name, x.chunk_id });
                });

            migrationBuilder.CreateTable(
                name: "graph_relationships",
                columns: table => new
                {
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    keywords = table.Column<string[]>(type: "text[]", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    weight = table.Column<double>(type: "double precision", nullable: false),
                    source_chunk_ids = table.Column<string[]>(type: "text[]", nullable: false),
                    fragment_count = table.Column<int>(type: "integer", nullable: false),
                    fragments_hash = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    summarized = table.Column<bool>(type: "boolean", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_relationships", x => new { x.source_name, x.target_name });
                });

            migrationBuilder.CreateIndex(
                name: "IX_graph_entity_fragments_chunk_id",
                table: "graph_entity_fragments",
                column: "chunk_id");

            migrationBuilder.CreateIndex(
                name: "IX_graph_relationship_fragments_chunk_id",
                table: "graph_relationship_fragments",
                column: "chunk_id");

            migrationBuilder.CreateIndex(
                name: "IX_graph_relationships_target_name",
                table: "graph_relationships",
                column: "target_name");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "graph_entities");

            migrationBuilder.DropTable(
                name: "graph_entity_fragments");

            migrationBuilder.DropTable(
                name: "graph_relationship_fragments");

            migrationBuilder.DropTable(
                name: "graph_relationships");
        }
    }
}
