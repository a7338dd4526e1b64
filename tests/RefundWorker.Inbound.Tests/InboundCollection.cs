namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The inbound test classes run one after another: each starts a host with its own database and connection pool,
/// and the local PostgreSQL allows 100 connections for every fixture of the test run together.
/// </summary>
[CollectionDefinition(Name)]
public sealed class InboundCollection
{
    public const string Name = "inbound";
}
