using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Inbound.Persistence;

internal sealed class InboundExternalIdConfiguration : IEntityTypeConfiguration<InboundExternalId>
{
    public void Configure(EntityTypeBuilder<InboundExternalId> builder)
    {
        builder.ToTable("inbound_external_ids");
        builder.HasKey(e => new { e.PartnerName, e.BusinessDate, e.ExternalId }).HasName("pk_inbound_external_ids");
        builder.Property(e => e.PartnerName).HasColumnName("partner_name").HasMaxLength(100);
        builder.Property(e => e.BusinessDate).HasColumnName("business_date");
        builder.Property(e => e.ExternalId).HasColumnName("external_id").HasMaxLength(40);
        builder.Property(e => e.InquiryRequestId).HasColumnName("inquiry_request_id").HasMaxLength(40);
        builder.Property(e => e.ReceivedAt).HasColumnName("received_at");
    }
}
