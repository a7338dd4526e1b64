using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary><c>outbox</c>: events waiting for a broker confirm (or for a queue bound to their exchange).</summary>
public sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.Type).HasMaxLength(256);
        builder.Property(x => x.Payload).HasColumnType("jsonb");
        // The dispatcher's work list stays small: only unsent rows are indexed.
        builder.HasIndex(x => x.CreatedAt).HasDatabaseName("ix_outbox_unsent").HasFilter("sent_at IS NULL");
        builder.HasIndex(x => x.SentAt).HasDatabaseName("ix_outbox_sent_at").HasFilter("sent_at IS NOT NULL");
        builder.HasIndex(x => x.OperationId).HasDatabaseName("ix_outbox_operation_id");
        // Returned as unroutable (migration OutboxUnroutable): the count has a database default so the raw-SQL
        // inserts need not name it; the index finds the rows nobody receives.
        builder.Property(x => x.UnroutableCount).HasDefaultValue(0);
        builder.Property(x => x.UnroutableReason).HasMaxLength(256);
        builder.HasIndex(x => x.UnroutableAt).HasDatabaseName("ix_outbox_unroutable").HasFilter("sent_at IS NULL AND unroutable_at IS NOT NULL");
        // Parked as unpublishable (migration OutboxParked): the index lists them for operators and for the release
        // of rows a newer build can publish.
        builder.Property(x => x.ParkedReason).HasMaxLength(512);
        builder.HasIndex(x => x.ParkedAt).HasDatabaseName("ix_outbox_parked").HasFilter("parked_at IS NOT NULL");
    }
}
