using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RefundWorker.Inbound.Persistence;

// Names are spelled out in snake_case because the model has no naming-convention package; the hand-written
// migration 20261121000200_Inbound creates exactly these tables.
internal sealed class InboundAccessTokenConfiguration : IEntityTypeConfiguration<InboundAccessToken>
{
    public void Configure(EntityTypeBuilder<InboundAccessToken> builder)
    {
        builder.ToTable("inbound_access_tokens");
        builder.HasKey(t => t.TokenHash).HasName("pk_inbound_access_tokens");
        builder.Property(t => t.TokenHash).HasColumnName("token_hash");
        builder.Property(t => t.PartnerName).HasColumnName("partner_name").HasMaxLength(100);
        builder.Property(t => t.IssuedAt).HasColumnName("issued_at");
        builder.Property(t => t.ExpiresAt).HasColumnName("expires_at");
        builder.HasIndex(t => t.ExpiresAt).HasDatabaseName("ix_inbound_access_tokens_expires_at");
    }
}
