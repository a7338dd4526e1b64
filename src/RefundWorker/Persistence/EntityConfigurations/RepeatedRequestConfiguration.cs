using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Persistence.EntityConfigurations;

/// <summary><c>operation_requests</c>: RequestIds that repeat an operation's key and content.</summary>
public sealed class RepeatedRequestConfiguration : IEntityTypeConfiguration<RepeatedRequest>
{
    public void Configure(EntityTypeBuilder<RepeatedRequest> builder)
    {
        builder.ToTable("operation_requests");
        builder.HasKey(x => x.RequestId);
        builder.Property(x => x.RequestId).ValueGeneratedNever();
        builder.HasOne<Operation>().WithMany().HasForeignKey(x => x.OperationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(x => x.OperationId).HasDatabaseName("ix_operation_requests_operation_id");
    }
}
