using Microsoft.EntityFrameworkCore;

namespace RefundWorker.Inbound.Persistence;

/// <summary>
/// The inbound tables in the host's EF model. The host's DbContext applies the configurations of its own assembly;
/// these live in this one, so it calls <see cref="Configure"/> too (the schema tests fail if it does not: the model
/// would have no inbound entity to compare with the migration).
/// </summary>
public static class InboundModel
{
    public static void Configure(ModelBuilder modelBuilder)
        => modelBuilder.ApplyConfigurationsFromAssembly(typeof(InboundModel).Assembly);
}
