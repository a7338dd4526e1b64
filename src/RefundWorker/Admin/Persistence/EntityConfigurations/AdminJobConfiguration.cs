using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Admin.Persistence.EntityConfigurations;

/// <summary><c>admin_jobs</c>: bulk replays and their progress.</summary>
public sealed class AdminJobConfiguration : IEntityTypeConfiguration<AdminJob>
{
    public void Configure(EntityTypeBuilder<AdminJob> builder)
    {
        builder.ToTable("admin_jobs");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).ValueGeneratedNever();
        builder.Property(x => x.Kind).HasMaxLength(64);
        builder.Property(x => x.Status).HasMaxLength(16);
        builder.Property(x => x.Actor).HasMaxLength(128);
        builder.Property(x => x.Request).HasColumnType("jsonb");
    }
}
