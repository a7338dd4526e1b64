using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Inbound.Persistence;

internal sealed class CvsInquiryConfiguration : IEntityTypeConfiguration<CvsInquiry>
{
    public void Configure(EntityTypeBuilder<CvsInquiry> builder)
    {
        builder.ToTable("cvs_inquiries");
        builder.HasKey(i => i.InquiryRequestId).HasName("pk_cvs_inquiries");
        builder.Property(i => i.InquiryRequestId).HasColumnName("inquiry_request_id").HasMaxLength(40);
        builder.Property(i => i.PartnerName).HasColumnName("partner_name").HasMaxLength(100);
        builder.Property(i => i.RequestFingerprint).HasColumnName("request_fingerprint").HasMaxLength(64).IsFixedLength();
        builder.Property(i => i.PayNo).HasColumnName("pay_no").HasMaxLength(12);
        builder.Property(i => i.ExternalId).HasColumnName("external_id").HasMaxLength(40);
        builder.Property(i => i.HttpStatus).HasColumnName("http_status");
        builder.Property(i => i.ResponseCode).HasColumnName("response_code").HasMaxLength(7).IsFixedLength();
        builder.Property(i => i.ResponseBody).HasColumnName("response_body");
        builder.Property(i => i.AnsweredAt).HasColumnName("answered_at");
        builder.HasIndex(i => i.PayNo).HasDatabaseName("ix_cvs_inquiries_pay_no");
    }
}
