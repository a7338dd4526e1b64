using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary>
/// <c>operations</c>. The unique indexes carry the idempotency rules (README, Idempotency); Rejected rows are left out of
/// them so that an invalid or conflicting request never occupies (or steals) a key.
/// </summary>
public sealed class OperationConfiguration : IEntityTypeConfiguration<Operation>
{
    public const string ActiveStates = "state NOT IN ('Rejected')";

    /// <summary>
    /// The filter of <c>ux_operations_rejected_request</c>. A request without a RequestId (the empty GUID) is
    /// rejected and recorded like any invalid one, but it is left out of the index: two different messages that both
    /// lack a RequestId must not be taken for one redelivered message (the second would get the first one's
    /// rejection re-published). Such a message is therefore recorded, and its RefundRejected/CancelRejected (RequestId
    /// empty, key fields as sent) published, each time it is delivered.
    /// </summary>
    public const string RejectedWithRequestId = "state = 'Rejected' AND request_id <> '00000000-0000-0000-0000-000000000000'::uuid";

    public void Configure(EntityTypeBuilder<Operation> builder)
    {
        builder.ToTable("operations");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.Kind).HasConversion(v => v == OperationKind.Refund ? "refund" : "cancel", v => v == "refund" ? OperationKind.Refund : OperationKind.Cancel).HasMaxLength(ColumnSizes.Operations.Kind);
        builder.Property(x => x.State).HasConversion<string>().HasMaxLength(ColumnSizes.Operations.State);
        builder.Property(x => x.Provider).HasMaxLength(ColumnSizes.Operations.Provider);
        builder.Property(x => x.MerchantId).HasMaxLength(ColumnSizes.Operations.MerchantId);
        builder.Property(x => x.PartnerRefundNo).HasMaxLength(ColumnSizes.Operations.PartnerRefundNo);
        builder.Property(x => x.ExternalId).HasMaxLength(ColumnSizes.Operations.ExternalId);
        builder.Property(x => x.OriginalReferenceNo).HasMaxLength(ColumnSizes.Operations.OriginalReferenceNo);
        builder.Property(x => x.OriginalPartnerReferenceNo).HasMaxLength(ColumnSizes.Operations.OriginalPartnerReferenceNo);
        builder.Property(x => x.OriginalExternalId).HasMaxLength(ColumnSizes.Operations.OriginalExternalId);
        builder.Property(x => x.ExternalStoreId).HasMaxLength(ColumnSizes.Operations.ExternalStoreId);
        builder.Property(x => x.SubMerchantId).HasMaxLength(ColumnSizes.Operations.SubMerchantId);
        builder.Property(x => x.Amount).HasColumnType($"numeric({ColumnSizes.Operations.AmountPrecision},{ColumnSizes.Operations.AmountScale})");
        builder.Property(x => x.Currency).HasMaxLength(ColumnSizes.Operations.Currency);
        builder.Property(x => x.AdditionalInfo).HasColumnType("jsonb");
        builder.Property(x => x.RejectionErrors).HasColumnType("jsonb");
        builder.Property(x => x.Fingerprint).HasMaxLength(ColumnSizes.Operations.Fingerprint);
        builder.Property(x => x.LeaseOwner).HasMaxLength(ColumnSizes.Operations.LeaseOwner);
        builder.Property(x => x.ResponseCode).HasMaxLength(ColumnSizes.Operations.ResponseCode);
        builder.Property(x => x.ErrorCode).HasMaxLength(ColumnSizes.Operations.ErrorCode);
        builder.Property(x => x.TraceParent).HasMaxLength(ColumnSizes.Operations.TraceParent);

        builder.HasIndex(x => new { x.Provider, x.MerchantId, x.PartnerRefundNo })
            .IsUnique().HasDatabaseName("ux_operations_refund_key")
            .HasFilter("kind = 'refund' AND " + ActiveStates);
        builder.HasIndex(x => new { x.Provider, x.OriginalPartnerReferenceNo })
            .IsUnique().HasDatabaseName("ux_operations_cancel_key")
            .HasFilter("kind = 'cancel' AND " + ActiveStates);
        // X-EXTERNAL-ID is unique per partner per Jakarta day at the provider, so the index holds it per day: under
        // Worker:ExternalIdScope=Day this index alone settles two accepts of one id on one day, also concurrent ones.
        // The stricter Forever scope is checked by the accept on top of it (see AcceptTransaction.InsertOperationsAsync).
        builder.HasIndex(x => new { x.Provider, x.ExternalId, x.ExternalIdDate })
            .IsUnique().HasDatabaseName("ux_operations_external_id")
            .HasFilter(ActiveStates);
        // A redelivered invalid message is recognised by its RequestId instead of a second rejection.
        builder.HasIndex(x => x.RequestId)
            .IsUnique().HasDatabaseName("ux_operations_rejected_request")
            .HasFilter(RejectedWithRequestId);
        // The scheduler's work list: only live rows, ordered by due time.
        builder.HasIndex(x => x.NextAttemptAt)
            .HasDatabaseName("ix_operations_due")
            .HasFilter("state IN ('Pending', 'Sending', 'Reconciling')");

        builder.HasMany(x => x.AttemptLog).WithOne().HasForeignKey(x => x.OperationId).OnDelete(DeleteBehavior.Cascade);
    }
}
