using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// <c>operations.trace_parent</c>: the W3C traceparent of the trace a request arrived in, recorded at accept, so that
/// the spans of work resumed later (retries, reconciliation steps, pick-ups after a crash, operator actions) can link
/// to it. Written by hand like InitialSchema; it must match Persistence/EntityConfigurations/OperationConfiguration.cs.
/// A nullable column is a catalog-only change (no table rewrite); rows accepted before it stay null and their
/// resumed spans simply carry no link.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261220000000_OperationTraceParent")]
public sealed class OperationTraceParent : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
        => migrationBuilder.AddColumn<string>(name: "trace_parent", table: "operations", type: "character varying(55)", maxLength: 55, nullable: true);

    protected override void Down(MigrationBuilder migrationBuilder)
        => migrationBuilder.DropColumn(name: "trace_parent", table: "operations");
}
