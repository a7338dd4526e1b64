using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Admin.Persistence.EntityConfigurations;

/// <summary><c>dead_letters</c>; the indexes serve the admin API's filters and the drain's dedupe.</summary>
public sealed class DeadLetterConfiguration : IEntityTypeConfiguration<DeadLetter>
{
    public void Configure(EntityTypeBuilder<DeadLetter> builder)
    {
        builder.ToTable("dead_letters");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.SourceQueue).HasMaxLength(256);
        builder.Property(x => x.OriginalQueue).HasMaxLength(256);
        builder.Property(x => x.MessageId).HasMaxLength(256);
        builder.Property(x => x.MessageType).HasMaxLength(512);
        builder.Property(x => x.ContentType).HasMaxLength(256);
        builder.Property(x => x.Headers).HasColumnType("jsonb");
        builder.Property(x => x.FaultReason).HasMaxLength(64);
        builder.Property(x => x.ExceptionType).HasMaxLength(512);
        builder.Property(x => x.Fingerprint).HasMaxLength(32);
        builder.Property(x => x.Status).HasMaxLength(16);
        builder.Property(x => x.Replays).HasColumnType("jsonb");
        builder.Property(x => x.DiscardedBy).HasMaxLength(128);
        builder.Property(x => x.DeliveryKey).HasMaxLength(64);
        builder.HasIndex(x => x.DeliveryKey).IsUnique().HasDatabaseName("ux_dead_letters_delivery_key");
        builder.HasIndex(x => new { x.Fingerprint, x.Status }).HasDatabaseName("ix_dead_letters_fingerprint_status");
        builder.HasIndex(x => new { x.Status, x.StatusChangedAt }).HasDatabaseName("ix_dead_letters_status_changed_at");
        builder.HasIndex(x => x.LastFailedAt).HasDatabaseName("ix_dead_letters_last_failed_at");
    }
}
