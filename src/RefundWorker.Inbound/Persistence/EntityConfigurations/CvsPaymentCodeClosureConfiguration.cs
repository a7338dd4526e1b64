using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Inbound.Persistence;

internal sealed class CvsPaymentCodeClosureConfiguration : IEntityTypeConfiguration<CvsPaymentCodeClosure>
{
    public void Configure(EntityTypeBuilder<CvsPaymentCodeClosure> builder)
    {
        builder.ToTable("cvs_payment_code_closures");
        builder.HasKey(c => c.PayNo).HasName("pk_cvs_payment_code_closures");
        builder.Property(c => c.PayNo).HasColumnName("pay_no").HasMaxLength(12);
        builder.Property(c => c.Reason).HasColumnName("reason").HasMaxLength(100);
        builder.Property(c => c.ClosedAt).HasColumnName("closed_at");
    }
}
