using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;
using RefundWorker.Persistence.EntityConfigurations;

namespace RefundWorker.Migrations;

/// <summary>
/// A request's ExternalId is taken per provider per Jakarta day, as SNAP takes X-EXTERNAL-ID, instead of for good:
/// <c>operations.external_id_date</c> (the Jakarta date of acceptance) joins <c>ux_operations_external_id</c>, and the
/// attempt trail is keyed by (operation, X-EXTERNAL-ID) with a plain lookup index on (provider, X-EXTERNAL-ID). Written
/// by hand like InitialSchema; it must match Persistence/EntityConfigurations.
/// </summary>
/// <remarks>
/// Existing rows get the Jakarta date of their <c>created_at</c> (the accept's clock reading). The backfill rewrites
/// <c>operations</c> once and the index builds lock writes to both tables while they run: apply it in a quiet moment.
/// </remarks>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261210000000_ExternalIdDayScope")]
public sealed class ExternalIdDayScope : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateOnly>(name: "external_id_date", table: "operations", type: "date", nullable: true);
        // Jakarta is UTC+7 all year: a fixed offset, no zone database needed.
        migrationBuilder.Sql("UPDATE operations SET external_id_date = ((created_at AT TIME ZONE 'UTC') + interval '7 hours')::date;");
        migrationBuilder.AlterColumn<DateOnly>(name: "external_id_date", table: "operations", type: "date", nullable: false,
            oldClrType: typeof(DateOnly), oldType: "date", oldNullable: true);

        migrationBuilder.DropIndex("ux_operations_external_id", "operations");
        migrationBuilder.CreateIndex("ux_operations_external_id", "operations", ["provider", "external_id", "external_id_date"],
            unique: true, filter: OperationConfiguration.ActiveStates);

        migrationBuilder.DropIndex("ux_attempts_external_id", "attempts");
        migrationBuilder.CreateIndex("ux_attempts_operation_external_id", "attempts", ["operation_id", "external_id"], unique: true);
        migrationBuilder.CreateIndex("ix_attempts_external_id", "attempts", ["provider", "external_id"]);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        // Going back needs every ExternalId to be unique per provider again: ids reused on another day (operations
        // and attempts) must be resolved by hand first, or these unique indexes cannot be built.
        migrationBuilder.DropIndex("ix_attempts_external_id", "attempts");
        migrationBuilder.DropIndex("ux_attempts_operation_external_id", "attempts");
        migrationBuilder.CreateIndex("ux_attempts_external_id", "attempts", ["provider", "external_id"], unique: true);

        migrationBuilder.DropIndex("ux_operations_external_id", "operations");
        migrationBuilder.CreateIndex("ux_operations_external_id", "operations", ["provider", "external_id"],
            unique: true, filter: OperationConfiguration.ActiveStates);
        migrationBuilder.DropColumn(name: "external_id_date", table: "operations");
    }
}
