using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// <c>operation_requests</c>: RequestIds that repeat an operation's key and content (an order system that retried with
/// a fresh RequestId). Each gets its own copy of the operation's outcome events (Outbox/OutboxInserts.cs). Made by
/// <c>dotnet ef migrations add</c> and written in the house form; it must match
/// Persistence/EntityConfigurations/RepeatedRequestConfiguration.cs. A new, empty table: the foreign key takes a brief
/// SHARE ROW EXCLUSIVE lock on <c>operations</c>, nothing is rewritten.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261221000000_RepeatedRequests")]
public sealed class RepeatedRequests : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "operation_requests",
            columns: table => new
            {
                request_id = table.Column<Guid>(type: "uuid", nullable: false),
                operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_operation_requests", x => x.request_id);
                table.ForeignKey("fk_operation_requests_operations_operation_id", x => x.operation_id, "operations", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex(name: "ix_operation_requests_operation_id", table: "operation_requests", column: "operation_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
        => migrationBuilder.DropTable(name: "operation_requests");
}
