using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Inbound.Persistence;

internal sealed class CvsPaymentCodeConfiguration : IEntityTypeConfiguration<CvsPaymentCode>
{
    public void Configure(EntityTypeBuilder<CvsPaymentCode> builder)
    {
        builder.ToTable("cvs_payment_codes");
        builder.HasKey(c => c.PayNo).HasName("pk_cvs_payment_codes");
        builder.Property(c => c.PayNo).HasColumnName("pay_no").HasMaxLength(12);
        builder.Property(c => c.PartnerServiceId).HasColumnName("partner_service_id").HasMaxLength(4);
        builder.Property(c => c.CustomerNo).HasColumnName("customer_no").HasMaxLength(8);
        builder.Property(c => c.PayNoName).HasColumnName("pay_no_name").HasMaxLength(100);
        builder.Property(c => c.GoodsName).HasColumnName("goods_name").HasMaxLength(200);
        builder.Property(c => c.PayNoPhone).HasColumnName("pay_no_phone").HasMaxLength(15);
        builder.Property(c => c.PayNoEmail).HasColumnName("pay_no_email").HasMaxLength(100);
        builder.Property(c => c.Amount).HasColumnName("amount").HasPrecision(18, 2);
        builder.Property(c => c.Currency).HasColumnName("currency").HasMaxLength(3);
        builder.Property(c => c.PartnerReferenceNo).HasColumnName("partner_reference_no").HasMaxLength(40);
        builder.Property(c => c.MitraCd).HasColumnName("mitra_cd").HasMaxLength(4);
        builder.Property(c => c.ExpiresAt).HasColumnName("expires_at");
        builder.Property(c => c.IssuedMessageSentAt).HasColumnName("issued_message_sent_at");
        builder.Property(c => c.UpdatedAt).HasColumnName("updated_at");
    }
}
