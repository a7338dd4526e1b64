using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// Tables of the on-call tools (src/RefundWorker/Admin): dead letters drained from the error queues, the append-only
/// audit log, bulk jobs, provider pauses and manual resolutions. Written by hand like InitialSchema; it must match
/// Admin/Persistence/EntityConfigurations column for column (AdminSchemaTests checks).
/// The audit log is append-only in the database, not only in the code: a trigger refuses UPDATE, DELETE and
/// TRUNCATE, whoever connects.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261201000100_Admin")]
public sealed class Admin : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "dead_letters",
            columns: table => new
            {
                id = table.Column<Guid>(type: "uuid", nullable: false),
                source_queue = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                original_queue = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                message_id = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                message_type = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                body = table.Column<byte[]>(type: "bytea", nullable: false),
                body_size = table.Column<int>(type: "integer", nullable: false),
                body_truncated = table.Column<bool>(type: "boolean", nullable: false),
                replayable = table.Column<bool>(type: "boolean", nullable: false),
                content_type = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                headers = table.Column<string>(type: "jsonb", nullable: false),
                fault_reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                exception_type = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                exception_message = table.Column<string>(type: "text", nullable: true),
                stack_trace = table.Column<string>(type: "text", nullable: true),
                fingerprint = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                first_failed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                last_failed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                failures = table.Column<int>(type: "integer", nullable: false),
                status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                replay_count = table.Column<int>(type: "integer", nullable: false),
                replays = table.Column<string>(type: "jsonb", nullable: false),
                status_changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                discarded_by = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                discard_reason = table.Column<string>(type: "text", nullable: true),
                delivery_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_dead_letters", x => x.id));
        migrationBuilder.CreateIndex("ux_dead_letters_delivery_key", "dead_letters", "delivery_key", unique: true);
        migrationBuilder.CreateIndex("ix_dead_letters_fingerprint_status", "dead_letters", ["fingerprint", "status"]);
        migrationBuilder.CreateIndex("ix_dead_letters_status_changed_at", "dead_letters", ["status", "status_changed_at"]);
        migrationBuilder.CreateIndex("ix_dead_letters_last_failed_at", "dead_letters", "last_failed_at");

        migrationBuilder.CreateTable(
            name: "audit_log",
            columns: table => new
            {
                id = table.Column<long>(type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                actor = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                action = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                target = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                reason = table.Column<string>(type: "text", nullable: true),
                outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                status_code = table.Column<int>(type: "integer", nullable: false),
                detail = table.Column<string>(type: "jsonb", nullable: true),
                request_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_audit_log", x => x.id));
        migrationBuilder.CreateIndex("ix_audit_log_at", "audit_log", "at");
        migrationBuilder.CreateIndex("ix_audit_log_target", "audit_log", "target");
        migrationBuilder.CreateIndex("ix_audit_log_actor", "audit_log", "actor");
        migrationBuilder.Sql(
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$;
            CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
            CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
            """);

        migrationBuilder.CreateTable(
            name: "admin_jobs",
            columns: table => new
            {
                id = table.Column<Guid>(type: "uuid", nullable: false),
                kind = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                actor = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                reason = table.Column<string>(type: "text", nullable: false),
                request = table.Column<string>(type: "jsonb", nullable: false),
                total = table.Column<int>(type: "integer", nullable: false),
                done = table.Column<int>(type: "integer", nullable: false),
                skipped = table.Column<int>(type: "integer", nullable: false),
                failed = table.Column<int>(type: "integer", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                error = table.Column<string>(type: "text", nullable: true),
            },
            constraints: table => table.PrimaryKey("pk_admin_jobs", x => x.id));

        migrationBuilder.CreateTable(
            name: "provider_pauses",
            columns: table => new
            {
                provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                paused = table.Column<bool>(type: "boolean", nullable: false),
                reason = table.Column<string>(type: "text", nullable: false),
                changed_by = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_provider_pauses", x => x.provider));

        migrationBuilder.CreateTable(
            name: "operation_resolutions",
            columns: table => new
            {
                operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                reference_no = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                evidence = table.Column<string>(type: "text", nullable: false),
                reason = table.Column<string>(type: "text", nullable: false),
                resolved_by = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                event_id = table.Column<Guid>(type: "uuid", nullable: false),
                request_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("pk_operation_resolutions", x => x.operation_id);
                table.ForeignKey("fk_operation_resolutions_operations_operation_id", x => x.operation_id, "operations", "id", onDelete: ReferentialAction.Cascade);
            });
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("operation_resolutions");
        migrationBuilder.DropTable("provider_pauses");
        migrationBuilder.DropTable("admin_jobs");
        migrationBuilder.DropTable("audit_log");
        migrationBuilder.Sql("DROP FUNCTION audit_log_append_only()");
        migrationBuilder.DropTable("dead_letters");
    }
}
