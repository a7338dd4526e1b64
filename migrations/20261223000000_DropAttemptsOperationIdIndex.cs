using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// Drops <c>ix_attempts_operation_id</c>: <c>ux_attempts_operation_external_id</c> (operation_id, external_id) starts
/// with the same column and serves every look-up by operation, so the single-column index was only one more B-tree
/// insert per provider call (every refund writes at least one attempt row). Made by <c>dotnet ef migrations add</c>
/// and written in the house form; it must match Persistence/EntityConfigurations/AttemptConfiguration.cs.
/// <c>DROP INDEX</c> takes an ACCESS EXCLUSIVE lock on <c>attempts</c> for the moment of the drop (no table rewrite).
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261223000000_DropAttemptsOperationIdIndex")]
public sealed class DropAttemptsOperationIdIndex : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => migrationBuilder.DropIndex(name: "ix_attempts_operation_id", table: "attempts");

    protected override void Down(MigrationBuilder migrationBuilder)
        => migrationBuilder.CreateIndex(name: "ix_attempts_operation_id", table: "attempts", column: "operation_id");
}
