using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary>
/// <c>operations</c>. The unique indexes carry the idempotency rules of issue 4 §2; Rejected rows are left out of
/// them so that an invalid or conflicting request never occupies (or steals) a key.
/// </summary>
public sealed class OperationConfiguration : IEntityTypeConfiguration<Operation>
{
    public const string ActiveStates = "state NOT IN ('Rejected')";

    public void Configure(EntityTypeBuilder<Operation> builder)
    {
        builder.ToTable("operations");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.Kind).HasConversion(v => v == OperationKind.Refund ? "refund" : "cancel", v => v == "refund" ? OperationKind.Refund : OperationKind.Cancel).HasMaxLength(16);
        builder.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(x => x.Provider).HasMaxLength(64);
        builder.Property(x => x.MerchantId).HasMaxLength(64);
        builder.Property(x => x.PartnerRefundNo).HasMaxLength(64);
        builder.Property(x => x.ExternalId).HasMaxLength(64);
        builder.Property(x => x.OriginalReferenceNo).HasMaxLength(128);
        builder.Property(x => x.OriginalPartnerReferenceNo).HasMaxLength(128);
        builder.Property(x => x.OriginalExternalId).HasMaxLength(128);
        builder.Property(x => x.ExternalStoreId).HasMaxLength(128);
        builder.Property(x => x.SubMerchantId).HasMaxLength(128);
        builder.Property(x => x.Amount).HasColumnType("numeric(20,2)");
        builder.Property(x => x.Currency).HasMaxLength(3);
        builder.Property(x => x.AdditionalInfo).HasColumnType("jsonb");
        builder.Property(x => x.RejectionErrors).HasColumnType("jsonb");
        builder.Property(x => x.Fingerprint).HasMaxLength(64);
        builder.Property(x => x.LeaseOwner).HasMaxLength(128);
        builder.Property(x => x.ResponseCode).HasMaxLength(16);
        builder.Property(x => x.ErrorCode).HasMaxLength(64);

        builder.HasIndex(x => new { x.Provider, x.MerchantId, x.PartnerRefundNo })
            .IsUnique().HasDatabaseName("ux_operations_refund_key")
            .HasFilter("kind = 'refund' AND " + ActiveStates);
        builder.HasIndex(x => new { x.Provider, x.OriginalPartnerReferenceNo })
            .IsUnique().HasDatabaseName("ux_operations_cancel_key")
            .HasFilter("kind = 'cancel' AND " + ActiveStates);
        builder.HasIndex(x => new { x.Provider, x.ExternalId })
            .IsUnique().HasDatabaseName("ux_operations_external_id")
            .HasFilter(ActiveStates);
        // A redelivered invalid message is recognised by its RequestId instead of a second rejection.
        builder.HasIndex(x => x.RequestId)
            .IsUnique().HasDatabaseName("ux_operations_rejected_request")
            .HasFilter("state = 'Rejected'");
        // The scheduler's work list: only live rows, ordered by due time.
        builder.HasIndex(x => x.NextAttemptAt)
            .HasDatabaseName("ix_operations_due")
            .HasFilter("state IN ('Pending', 'Sending', 'Reconciling')");

        builder.HasMany(x => x.AttemptLog).WithOne().HasForeignKey(x => x.OperationId).OnDelete(DeleteBehavior.Cascade);
    }
}
