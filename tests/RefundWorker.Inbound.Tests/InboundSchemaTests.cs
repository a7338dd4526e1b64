using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using RefundWorker.Inbound.Persistence;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The hand-written migration 20261121000200_Inbound against the EF model of Inbound/Persistence: every mapped column
/// exists with the model's type and nullability, and every primary key has the model's columns. Without EF Design
/// there is no snapshot to catch a drift, so this does.
/// </summary>
[Collection(InboundCollection.Name)]
public sealed class InboundSchemaTests : IAsyncLifetime
{
    private static readonly Type[] Entities =
        [typeof(InboundAccessToken), typeof(CvsPaymentCode), typeof(CvsPaymentCodeClosure), typeof(CvsInquiry), typeof(InboundExternalId)];

    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(EnvironmentServiceEndpoints.FromEnvironment());

    public Task DisposeAsync() => FixtureCleanup.RunAsync($"database {database.Name}", async () => await database.DisposeAsync());

    [Fact]
    public async Task Should_create_every_column_of_the_inbound_model_with_its_type_and_nullability()
        => Assert.Empty(await MigrationMatchesModel.MismatchesAsync(database, Entities));

    [Fact]
    public async Task Should_create_no_inbound_column_the_model_does_not_map()
        => Assert.Empty(await MigrationMatchesModel.UnmappedColumnsAsync(database, Entities));
}
