using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using RefundWorker.Persistence;

namespace RefundWorker.Admin.Persistence.EntityConfigurations;

/// <summary><c>operation_resolutions</c>: at most one per operation.</summary>
public sealed class OperationResolutionConfiguration : IEntityTypeConfiguration<OperationResolution>
{
    public void Configure(EntityTypeBuilder<OperationResolution> builder)
    {
        builder.ToTable("operation_resolutions");
        builder.HasKey(x => x.OperationId);
        builder.Property(x => x.Outcome).HasMaxLength(16);
        builder.Property(x => x.ReferenceNo).HasMaxLength(128);
        builder.Property(x => x.ResolvedBy).HasMaxLength(128);
        builder.Property(x => x.RequestId).HasMaxLength(128);
        builder.HasOne<Operation>().WithMany().HasForeignKey(x => x.OperationId).OnDelete(DeleteBehavior.Cascade);
    }
}
