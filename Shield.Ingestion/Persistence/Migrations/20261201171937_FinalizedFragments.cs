using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FinalizedFragments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "finalized",
                table: "graph_relationship_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "finalized",
                table: "graph_entity_fragments",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "finalized",
                table: "graph_relationship_fragments");

            migrationBuilder.DropColumn(
                name: "finalized",
                table: "graph_entity_fragments");
        }
    }
}
