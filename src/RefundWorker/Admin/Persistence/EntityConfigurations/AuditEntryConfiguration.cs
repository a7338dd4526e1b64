using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Admin.Persistence.EntityConfigurations;

/// <summary><c>audit_log</c>: append-only (a trigger in the migration refuses UPDATE, DELETE and TRUNCATE).</summary>
public sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).UseIdentityAlwaysColumn();
        builder.Property(x => x.Actor).HasMaxLength(128);
        builder.Property(x => x.Role).HasMaxLength(16);
        builder.Property(x => x.Action).HasMaxLength(64);
        builder.Property(x => x.Target).HasMaxLength(256);
        builder.Property(x => x.Outcome).HasMaxLength(16);
        builder.Property(x => x.Detail).HasColumnType("jsonb");
        builder.Property(x => x.RequestId).HasMaxLength(128);
        builder.HasIndex(x => x.At).HasDatabaseName("ix_audit_log_at");
        builder.HasIndex(x => x.Target).HasDatabaseName("ix_audit_log_target");
        builder.HasIndex(x => x.Actor).HasDatabaseName("ix_audit_log_actor");
    }
}
