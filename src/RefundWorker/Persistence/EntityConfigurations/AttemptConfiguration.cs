using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary><c>attempts</c>: one row per provider call.</summary>
public sealed class AttemptConfiguration : IEntityTypeConfiguration<Attempt>
{
    public void Configure(EntityTypeBuilder<Attempt> builder)
    {
        builder.ToTable("attempts");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).UseIdentityAlwaysColumn();
        builder.Property(x => x.Action).HasMaxLength(ColumnSizes.Attempts.Action);
        builder.Property(x => x.Provider).HasMaxLength(ColumnSizes.Attempts.Provider);
        builder.Property(x => x.ExternalId).HasMaxLength(ColumnSizes.Attempts.ExternalId);
        builder.Property(x => x.ResponseCode).HasMaxLength(ColumnSizes.Attempts.ResponseCode);
        builder.Property(x => x.Classification).HasMaxLength(ColumnSizes.Attempts.Classification);
        builder.Property(x => x.TransportFailure).HasMaxLength(ColumnSizes.Attempts.TransportFailure);
        builder.Property(x => x.TraceId).HasMaxLength(ColumnSizes.Attempts.TraceId);
        builder.Property(x => x.Detail).HasMaxLength(ColumnSizes.Attempts.Detail);
        // One row per call: the row appended before the wire (AttemptJournal) and the answer written by the outcome
        // commit meet on (operation, X-EXTERNAL-ID). Across operations the same id may recur on another Jakarta day
        // (SNAP scopes X-EXTERNAL-ID per partner per day), so (provider, X-EXTERNAL-ID) is only looked up, by the
        // accept's "already sent" check.
        // The unique index also serves every look-up by operation (its leading column), so there is no index on
        // operation_id alone: it was one more B-tree insert per provider call (dropped in DropAttemptsOperationIdIndex).
        builder.HasIndex(x => new { x.OperationId, x.ExternalId }).IsUnique().HasDatabaseName("ux_attempts_operation_external_id");
        builder.HasIndex(x => new { x.Provider, x.ExternalId }).HasDatabaseName("ix_attempts_external_id");
    }
}
