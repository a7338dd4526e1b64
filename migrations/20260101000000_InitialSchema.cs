using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// operations, attempts and outbox. Written by hand: Microsoft.EntityFrameworkCore.Design (and so
/// <c>dotnet ef migrations add</c>) is not available from the package mirror. It must match the model in
/// Persistence/EntityConfigurations; RefundWorker.Tests checks the two against each other.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20260101000000_InitialSchema")]
public sealed class InitialSchema : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "operations",
            columns: table => new
            {
                id = table.Column<Guid>(type: "uuid", nullable: false),
                kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                request_id = table.Column<Guid>(type: "uuid", nullable: false),
                provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                merchant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                partner_refund_no = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                external_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                original_reference_no = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                original_partner_reference_no = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                original_external_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                external_store_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                sub_merchant_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                amount = table.Column<decimal>(type: "numeric(20,2)", nullable: true),
                currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: true),
                reason = table.Column<string>(type: "text", nullable: true),
                additional_info = table.Column<string>(type: "jsonb", nullable: true),
                fingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                attempts = table.Column<int>(type: "integer", nullable: false),
                queries = table.Column<int>(type: "integer", nullable: false),
                next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                lease_owner = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                lease_token = table.Column<Guid>(type: "uuid", nullable: true),
                lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                response_code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                error_code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                outcome_message = table.Column<string>(type: "text", nullable: true),
                reference_no = table.Column<string>(type: "text", nullable: true),
                outcome_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                rejection_errors = table.Column<string>(type: "jsonb", nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_operations", x => x.id));

        migrationBuilder.CreateTable(
            name: "attempts",
            columns: table => new
            {
                id = table.Column<long>(type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                number = table.Column<int>(type: "integer", nullable: false),
                action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                external_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                http_status = table.Column<int>(type: "integer", nullable: true),
                response_code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                classification = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                transport_failure = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                latency_ms = table.Column<double>(type: "double precision", nullable: false),
                trace_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                detail = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_attempts", x => x.id);
                table.ForeignKey("fk_attempts_operations_operation_id", x => x.operation_id, "operations", "id", onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "outbox",
            columns: table => new
            {
                id = table.Column<Guid>(type: "uuid", nullable: false),
                type = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                payload = table.Column<string>(type: "jsonb", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                operation_id = table.Column<Guid>(type: "uuid", nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_outbox", x => x.id));

        migrationBuilder.CreateIndex("ux_operations_refund_key", "operations", ["provider", "merchant_id", "partner_refund_no"],
            unique: true, filter: "kind = 'refund' AND " + Persistence.EntityConfigurations.OperationConfiguration.ActiveStates);
        migrationBuilder.CreateIndex("ux_operations_cancel_key", "operations", ["provider", "original_partner_reference_no"],
            unique: true, filter: "kind = 'cancel' AND " + Persistence.EntityConfigurations.OperationConfiguration.ActiveStates);
        migrationBuilder.CreateIndex("ux_operations_external_id", "operations", ["provider", "external_id"],
            unique: true, filter: Persistence.EntityConfigurations.OperationConfiguration.ActiveStates);
        migrationBuilder.CreateIndex("ux_operations_rejected_request", "operations", "request_id",
            unique: true, filter: "state = 'Rejected'");
        migrationBuilder.CreateIndex("ix_operations_due", "operations", "next_attempt_at",
            filter: "state IN ('Pending', 'Sending', 'Reconciling')");

        migrationBuilder.CreateIndex("ux_attempts_external_id", "attempts", ["provider", "external_id"], unique: true);
        migrationBuilder.CreateIndex("ix_attempts_operation_id", "attempts", "operation_id");

        migrationBuilder.CreateIndex("ix_outbox_unsent", "outbox", "created_at", filter: "sent_at IS NULL");
        migrationBuilder.CreateIndex("ix_outbox_sent_at", "outbox", "sent_at", filter: "sent_at IS NOT NULL");
        migrationBuilder.CreateIndex("ix_outbox_operation_id", "outbox", "operation_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("outbox");
        migrationBuilder.DropTable("attempts");
        migrationBuilder.DropTable("operations");
    }
}
