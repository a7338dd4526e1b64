using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;
using RefundWorker.Persistence.EntityConfigurations;

namespace RefundWorker.Migrations;

/// <summary>
/// <c>ux_operations_rejected_request</c> leaves out rejections of requests without a RequestId (the empty GUID):
/// two different messages that both lack one are two rejections, not one message delivered twice. Written by hand
/// like InitialSchema.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261201000000_RejectedRequestIdIndex")]
public sealed class RejectedRequestIdIndex : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex("ux_operations_rejected_request", "operations");
        migrationBuilder.CreateIndex("ux_operations_rejected_request", "operations", "request_id",
            unique: true, filter: OperationConfiguration.RejectedWithRequestId);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Going back needs at most one rejection per RequestId: extra rejections of the empty RequestId must be
        // removed by hand first, or this index cannot be built.
        migrationBuilder.DropIndex("ux_operations_rejected_request", "operations");
        migrationBuilder.CreateIndex("ux_operations_rejected_request", "operations", "request_id",
            unique: true, filter: "state = 'Rejected'");
    }
}
