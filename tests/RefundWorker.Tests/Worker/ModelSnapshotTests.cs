using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using RefundWorker.Persistence;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// <c>dotnet ef migrations add</c> compares the model with the snapshot: they must agree, or the next generated
/// migration would also carry changes someone else made by hand. Needs no database.
/// </summary>
public sealed class ModelSnapshotTests
{
    private const string Regenerate =
        "Regenerate it from src/RefundWorker: dotnet ef migrations add Snapshot --output-dir ../../migrations --namespace RefundWorker.Migrations, "
        + "keep src/RefundWorker/Migrations/RefundWorkerDbContextModelSnapshot.cs and delete the two generated migrations/*_Snapshot*.cs files.";

    [Fact]
    public void Should_have_a_model_snapshot_that_matches_the_model_so_a_new_migration_starts_empty()
    {
        using var db = new DesignTimeDbContextFactory().CreateDbContext([]);
        Assert.True(db.GetService<IMigrationsAssembly>().ModelSnapshot is not null, "No model snapshot in the host assembly. " + Regenerate);
        Assert.False(db.Database.HasPendingModelChanges(), "The model differs from the model snapshot. " + Regenerate);
    }
}
