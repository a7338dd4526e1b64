using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// Outbox rows that RabbitMQ returned as unroutable (published with <c>mandatory</c>, no queue bound to the event's
/// exchange) stay unsent, with how often and why they were returned and when to try again. Written by hand like
/// InitialSchema; it must match Persistence/EntityConfigurations/OutboxMessageConfiguration.cs. Adding nullable
/// columns and one with a constant default is a catalog-only change in PostgreSQL 11+: no table rewrite.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261125000000_OutboxUnroutable")]
public sealed class OutboxUnroutable : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<int>(name: "unroutable_count", table: "outbox", type: "integer", nullable: false, defaultValue: 0);
        migrationBuilder.AddColumn<DateTimeOffset>(name: "unroutable_at", table: "outbox", type: "timestamp with time zone", nullable: true);
        migrationBuilder.AddColumn<string>(name: "unroutable_reason", table: "outbox", type: "character varying(256)", maxLength: 256, nullable: true);
        migrationBuilder.AddColumn<DateTimeOffset>(name: "next_attempt_at", table: "outbox", type: "timestamp with time zone", nullable: true);
        migrationBuilder.CreateIndex(
            name: "ix_outbox_unroutable",
            table: "outbox",
            column: "unroutable_at",
            filter: "sent_at IS NULL AND unroutable_at IS NOT NULL");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_outbox_unroutable", table: "outbox");
        migrationBuilder.DropColumn(name: "next_attempt_at", table: "outbox");
        migrationBuilder.DropColumn(name: "unroutable_reason", table: "outbox");
        migrationBuilder.DropColumn(name: "unroutable_at", table: "outbox");
        migrationBuilder.DropColumn(name: "unroutable_count", table: "outbox");
    }
}
