using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Admin.Persistence.EntityConfigurations;

/// <summary><c>provider_pauses</c>: one row per provider ever paused.</summary>
public sealed class ProviderPauseConfiguration : IEntityTypeConfiguration<ProviderPause>
{
    public void Configure(EntityTypeBuilder<ProviderPause> builder)
    {
        builder.ToTable("provider_pauses");
        builder.HasKey(x => x.Provider);
        builder.Property(x => x.Provider).HasMaxLength(64);
        builder.Property(x => x.ChangedBy).HasMaxLength(128);
    }
}
