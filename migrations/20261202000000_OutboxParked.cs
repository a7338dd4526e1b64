using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// Outbox rows the dispatcher cannot publish (a type this build does not know, a payload that is not a JSON object or
/// is too large for the broker) are parked: set aside with when and why, so they no longer block the rows behind them.
/// Written by hand like InitialSchema; it must match Persistence/EntityConfigurations/OutboxMessageConfiguration.cs.
/// Two nullable columns are a catalog-only change (no table rewrite); the partial index covers parked rows only, so it
/// is empty on a healthy table.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261202000000_OutboxParked")]
public sealed class OutboxParked : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateTimeOffset>(name: "parked_at", table: "outbox", type: "timestamp with time zone", nullable: true);
        migrationBuilder.AddColumn<string>(name: "parked_reason", table: "outbox", type: "character varying(512)", maxLength: 512, nullable: true);
        migrationBuilder.CreateIndex(
            name: "ix_outbox_parked",
            table: "outbox",
            column: "parked_at",
            filter: "parked_at IS NOT NULL");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_outbox_parked", table: "outbox");
        migrationBuilder.DropColumn(name: "parked_reason", table: "outbox");
        migrationBuilder.DropColumn(name: "parked_at", table: "outbox");
    }
}
