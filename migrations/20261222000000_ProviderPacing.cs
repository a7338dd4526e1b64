using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// <c>provider_pacing</c>: one row per rate-limited provider, its next free send slot, shared by every replica so that
/// together they keep the provider's published calls-per-second limit (Operations/FleetPacing.cs). Made by
/// <c>dotnet ef migrations add</c> and written in the house form; it must match
/// Persistence/EntityConfigurations/ProviderPacingConfiguration.cs. A new, empty table: no lock on existing ones.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261222000000_ProviderPacing")]
public sealed class ProviderPacing : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => migrationBuilder.CreateTable(
            name: "provider_pacing",
            columns: table => new
            {
                provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                next_send = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_provider_pacing", x => x.provider));

    protected override void Down(MigrationBuilder migrationBuilder)
        => migrationBuilder.DropTable(name: "provider_pacing");
}
