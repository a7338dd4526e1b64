using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Migrations;

/// <summary>
/// Tables of the inbound SNAP endpoints NICEPAY calls (docs/protocol.md#cvs-inquiry; src/RefundWorker.Inbound/Persistence). Written by
/// hand like InitialSchema; it must match Inbound/Persistence/EntityConfigurations column for column.
/// The idempotency rules live in the primary keys: one token hash, one row per payNo, first close wins, one answer
/// per inquiryRequestId, one X-EXTERNAL-ID per partner per Jakarta day.
/// </summary>
[DbContext(typeof(RefundWorkerDbContext))]
[Migration("20261121000200_Inbound")]
public sealed class Inbound : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "inbound_access_tokens",
            columns: table => new
            {
                token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                partner_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                issued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_inbound_access_tokens", x => x.token_hash));

        migrationBuilder.CreateTable(
            name: "cvs_payment_codes",
            columns: table => new
            {
                pay_no = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                partner_service_id = table.Column<string>(type: "character varying(4)", maxLength: 4, nullable: false),
                customer_no = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: false),
                pay_no_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                goods_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                pay_no_phone = table.Column<string>(type: "character varying(15)", maxLength: 15, nullable: true),
                pay_no_email = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                amount = table.Column<decimal>(type: "numeric(18,2)", precision: 18, scale: 2, nullable: false),
                currency = table.Column<string>(type: "character varying(3)", maxLength: 3, nullable: false),
                partner_reference_no = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                mitra_cd = table.Column<string>(type: "character varying(4)", maxLength: 4, nullable: true),
                expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                issued_message_sent_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_cvs_payment_codes", x => x.pay_no));

        migrationBuilder.CreateTable(
            name: "cvs_payment_code_closures",
            columns: table => new
            {
                pay_no = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                reason = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_cvs_payment_code_closures", x => x.pay_no));

        migrationBuilder.CreateTable(
            name: "cvs_inquiries",
            columns: table => new
            {
                inquiry_request_id = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                partner_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                request_fingerprint = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                pay_no = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                external_id = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                http_status = table.Column<int>(type: "integer", nullable: false),
                response_code = table.Column<string>(type: "character(7)", fixedLength: true, maxLength: 7, nullable: false),
                response_body = table.Column<string>(type: "text", nullable: false),
                answered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_cvs_inquiries", x => x.inquiry_request_id));

        migrationBuilder.CreateTable(
            name: "inbound_external_ids",
            columns: table => new
            {
                partner_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                business_date = table.Column<DateOnly>(type: "date", nullable: false),
                external_id = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                inquiry_request_id = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("pk_inbound_external_ids", x => new { x.partner_name, x.business_date, x.external_id }));

        migrationBuilder.CreateIndex("ix_inbound_access_tokens_expires_at", "inbound_access_tokens", "expires_at");
        migrationBuilder.CreateIndex("ix_cvs_inquiries_pay_no", "cvs_inquiries", "pay_no");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("inbound_external_ids");
        migrationBuilder.DropTable("cvs_inquiries");
        migrationBuilder.DropTable("cvs_payment_code_closures");
        migrationBuilder.DropTable("cvs_payment_codes");
        migrationBuilder.DropTable("inbound_access_tokens");
    }
}
