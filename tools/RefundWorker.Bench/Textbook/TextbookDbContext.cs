using Microsoft.EntityFrameworkCore;

namespace RefundWorker.Bench.Textbook;

/// <summary>The textbook consumer's own EF Core context, in a database of its own (never the worker's).</summary>
public sealed class TextbookDbContext(DbContextOptions<TextbookDbContext> options) : DbContext(options)
{
    public DbSet<TextbookRefund> Refunds => Set<TextbookRefund>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<TextbookRefund>(e =>
        {
            e.ToTable("textbook_refunds");
            e.HasKey(r => r.Id);
            e.Property(r => r.Amount).HasPrecision(18, 2);
            e.HasIndex(r => r.PartnerRefundNo).IsUnique();
        });
    }
}
