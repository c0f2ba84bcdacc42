using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Shield.Ingestion.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ModelCacheSizeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_model_cache_last_used_at",
                table: "model_cache");

            migrationBuilder.AddColumn<int>(
                name: "size_bytes",
                table: "model_cache",
                type: "integer",
                nullable: false,
                computedColumnSql: "octet_length(value)",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "IX_model_cache_last_used_at_key",
                table: "model_cache",
                columns: new[] { "last_used_at", "key" })
                .Annotation("Npgsql:IndexInclude", new[] { "size_bytes" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_model_cache_last_used_at_key",
                table: "model_cache");

            migrationBuilder.DropColumn(
                name: "size_bytes",
                table: "model_cache");

            migrationBuilder.CreateIndex(
                name: "IX_model_cache_last_used_at",
                table: "model_cache",
                column: "last_used_at");
        }
    }
}
