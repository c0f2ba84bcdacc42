using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class IncrementalGraph : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "chunk_id",
                table: "graph_relationship_fragments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);

            migrationBuilder.AlterColumn<string>(
                name: "chunk_id",
                table: "graph_entity_fragments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64);

            migrationBuilder.CreateTable(
                name: "graph_descriptions",
                columns: table => new
                {
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    kind = table.Column<short>(type: "smallint", nullable: false),
                    description_hash = table.Column<Guid>(type: "uuid", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    fragments = table.Column<int>(type: "integer", nullable: false),
                    first_chunk_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C"),
                    covered = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_descriptions", x => new { x.source_name, x.target_name, x.kind, x.description_hash });
                });

            migrationBuilder.CreateTable(
                name: "graph_element_states",
                columns: table => new
                {
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    fragments = table.Column<int>(type: "integer", nullable: false),
                    endpoint_fragments = table.Column<int>(type: "integer", nullable: false),
                    descriptions = table.Column<int>(type: "integer", nullable: false),
                    endpoint_descriptions = table.Column<int>(type: "integer", nullable: false),
                    weight = table.Column<decimal>(type: "numeric", nullable: false),
                    needs_replay = table.Column<bool>(type: "boolean", nullable: false),
                    published_version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_element_states", x => new { x.source_name, x.target_name });
                });

            migrationBuilder.CreateTable(
                name: "graph_entity_types",
                columns: table => new
                {
                    entity_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    entity_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    fragments = table.Column<int>(type: "integer", nullable: false),
                    first_chunk_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false, collation: "C")
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_entity_types", x => new { x.entity_name, x.entity_type });
                });

            migrationBuilder.CreateTable(
                name: "graph_relationship_keywords",
                columns: table => new
                {
                    source_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    target_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    keyword = table.Column<string>(type: "text", nullable: false),
                    fragments = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_graph_relationship_keywords", x => new { x.source_name, x.target_name, x.keyword });
                });

            // The working state of every node and edge, from the fragments stored so far. A description counts as
            // covered where a fragment saying it was in its element's summary (coverage was per fragment before).
            migrationBuilder.Sql("""
                INSERT INTO graph_element_states (source_name, target_name, version, fragments, endpoint_fragments, descriptions, endpoint_descriptions, weight, needs_replay, published_version)
                SELECT k.name, '', 1, coalesce(e.n, 0), coalesce(r.n, 0), coalesce(e.d, 0), CASE WHEN e.n IS NULL THEN coalesce(r.d, 0) ELSE 0 END, 0, false, 0
                FROM (SELECT entity_name AS name FROM graph_entity_fragments UNION SELECT source_name FROM graph_relationship_fragments
                      UNION SELECT target_name FROM graph_relationship_fragments) k
                LEFT JOIN (SELECT entity_name, count(*) AS n, count(DISTINCT description) AS d FROM graph_entity_fragments GROUP BY 1) e ON e.entity_name = k.name
                LEFT JOIN (SELECT name, count(*) AS n, count(DISTINCT description) AS d FROM (
                             SELECT source_name AS name, description FROM graph_relationship_fragments
                             UNION ALL SELECT target_name, description FROM graph_relationship_fragments) x GROUP BY 1) r ON r.name = k.name;

                INSERT INTO graph_element_states (source_name, target_name, version, fragments, endpoint_fragments, descriptions, endpoint_descriptions, weight, needs_replay, published_version)
                SELECT source_name, target_name, 1, count(*), 0, count(DISTINCT description), 0, sum(weight::numeric), false, 0
                FROM graph_relationship_fragments GROUP BY 1, 2;

                INSERT INTO graph_descriptions (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
                SELECT f.entity_name, '', 0, md5(f.description)::uuid, f.description, count(*), min(f.chunk_id), bool_or(f.in_summary) AND bool_or(e.summary IS NOT NULL)
                FROM graph_entity_fragments f LEFT JOIN graph_entities e ON e.name = f.entity_name GROUP BY f.entity_name, f.description;

                INSERT INTO graph_descriptions (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
                SELECT f.source_name, f.target_name, 0, md5(f.description)::uuid, f.description, count(*), min(f.chunk_id), bool_or(f.in_summary) AND bool_or(r.summary IS NOT NULL)
                FROM graph_relationship_fragments f LEFT JOIN graph_relationships r ON r.source_name = f.source_name AND r.target_name = f.target_name
                GROUP BY f.source_name, f.target_name, f.description;

                INSERT INTO graph_descriptions (source_name, target_name, kind, description_hash, description, fragments, first_chunk_id, covered)
                SELECT name, '', 1, md5(description)::uuid, description, count(*), min(chunk_id), false FROM (
                  SELECT source_name AS name, chunk_id, description FROM graph_relationship_fragments
                  UNION ALL SELECT target_name, chunk_id, description FROM graph_relationship_fragments) x
                WHERE NOT EXISTS (SELECT 1 FROM graph_entity_fragments f WHERE f.entity_name = x.name)
                GROUP BY name, description;

                INSERT INTO graph_entity_types (entity_name, entity_type, fragments, first_chunk_id)
                SELECT entity_name, entity_type, count(*), min(chunk_id) FROM graph_entity_fragments GROUP BY 1, 2;

                INSERT INTO graph_relationship_keywords (source_name, target_name, keyword, fragments)
                SELECT f.source_name, f.target_name, k.keyword, count(*)
                FROM graph_relationship_fragments f CROSS JOIN LATERAL (SELECT DISTINCT unnest(f.keywords)) AS k(keyword) GROUP BY 1, 2, 3;
                """);

            migrationBuilder.DropColumn(
                name: "in_summary",
                table: "graph_relationship_fragments");

            migrationBuilder.DropColumn(
                name: "in_summary",
                table: "graph_entity_fragments");

            migrationBuilder.RenameColumn(
                name: "fragments_hash",
                table: "graph_relationships",
                newName: "view_hash");

            migrationBuilder.RenameColumn(
                name: "fragments_hash",
                table: "graph_entities",
                newName: "view_hash");

            // A published row's old fragments hash is no view hash: the next finalisation of it publishes it again.
            migrationBuilder.Sql("UPDATE graph_entities SET view_hash = ''; UPDATE graph_relationships SET view_hash = '';");

            migrationBuilder.AddColumn<string>(
                name: "point_hash",
                table: "job_graph_changes",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "vector_pending",
                table: "job_graph_changes",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_graph_relationship_fragments_source_name_chunk_id",
                table: "graph_relationship_fragments",
                columns: new[] { "source_name", "chunk_id" });

            migrationBuilder.CreateIndex(
                name: "IX_graph_relationship_fragments_target_name_chunk_id",
                table: "graph_relationship_fragments",
                columns: new[] { "target_name", "chunk_id" });

            migrationBuilder.CreateIndex(
                name: "IX_graph_descriptions_uncovered",
                table: "graph_descriptions",
                columns: new[] { "source_name", "target_name", "kind", "first_chunk_id" },
                filter: "NOT covered");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "graph_descriptions");

            migrationBuilder.DropTable(
                name: "graph_element_states");

            migrationBuilder.DropTable(
                name: "graph_entity_types");

            migrationBuilder.DropTable(
                name: "graph_relationship_keywords");

            migrationBuilder.DropIndex(
                name: "IX_graph_relationship_fragments_source_name_chunk_id",
                table: "graph_relationship_fragments");

            migrationBuilder.DropIndex(
                name: "IX_graph_relationship_fragments_target_name_chunk_id",
                table: "graph_relationship_fragments");

            migrationBuilder.DropColumn(
                name: "point_hash",
                table: "job_graph_changes");

            migrationBuilder.DropColumn(
                name: "vector_pending",
                table: "job_graph_changes");

            migrationBuilder.RenameColumn(
                name: "view_hash",
                table: "graph_relationships",
                newName: "fragments_hash");

            migrationBuilder.RenameColumn(
                name: "view_hash",
                table: "graph_entities",
                newName: "fragments_hash");

            migrationBuilder.AlterColumn<string>(
                name: "chunk_id",
                table: "graph_relationship_fragments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldCollation: "C");

            migrationBuilder.AddColumn<bool>(
                name: "in_summary",
                table: "graph_relationship_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AlterColumn<string>(
                name: "chunk_id",
                table: "graph_entity_fragments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldCollation: "C");

            migrationBuilder.AddColumn<bool>(
                name: "in_summary",
                table: "graph_entity_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }
    }
}
