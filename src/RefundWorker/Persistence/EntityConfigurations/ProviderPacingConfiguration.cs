using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary><c>provider_pacing</c>: one row per rate-limited provider, its next free send slot.</summary>
public sealed class ProviderPacingConfiguration : IEntityTypeConfiguration<ProviderPacing>
{
    public void Configure(EntityTypeBuilder<ProviderPacing> builder)
    {
        builder.ToTable("provider_pacing");
        builder.HasKey(x => x.Provider);
        builder.Property(x => x.Provider).HasMaxLength(ColumnSizes.Operations.Provider);
    }
}
