using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using RefundWorker.Admin.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Tests.Admin;

/// <summary>
/// The hand-written migration 20261201000100_Admin against the EF model of Admin/Persistence: every mapped column
/// exists with the model's type and nullability, every primary key has the model's columns, nothing unmapped exists.
/// </summary>
[Collection(AdminCollection.Name)]
public sealed class AdminSchemaTests : IAsyncLifetime
{
    private static readonly Type[] Entities =
        [typeof(DeadLetter), typeof(AuditEntry), typeof(AdminJob), typeof(ProviderPause), typeof(OperationResolution)];

    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(await ServiceEndpointResolver.ResolveAsync());

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task Should_create_every_column_of_the_admin_model_with_its_type_and_nullability()
        => Assert.Empty(await MigrationMatchesModel.MismatchesAsync(database, Entities));

    [Fact]
    public async Task Should_create_no_admin_column_the_model_does_not_map()
        => Assert.Empty(await MigrationMatchesModel.UnmappedColumnsAsync(database, Entities));
}
