using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using RefundWorker.Admin;
using RefundWorker.Extensions;
using RefundWorker.Tests.Infrastructure;

namespace RefundWorker.Inbound.Tests;

/// <summary>
/// The whole worker (refund pipeline against the sandbox, inbound endpoints, admin API) with every secret it can be
/// given configured, logging at Information (Debug for the worker's own categories) into memory, and its spans
/// exported into memory, so a test can look for the secrets in everything the worker wrote.
/// </summary>
public sealed class SecretScanFixture : WorkerFixture
{
    public const string InboundClientId = "IONPAYSCAN";

    public string InboundSecret { get; } = "inbound-secret-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public string AdminKey { get; } = "rwk_op_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    /// <summary>NICEPAY's key pair: the worker is given only the public half.</summary>
    public RSA NicepayKey { get; } = RSA.Create(2048);

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Ended spans; the exporter adds from whichever thread ends one.</summary>
    public SynchronizedCollection Spans { get; } = new();

    public override Dictionary<string, string?> WorkerSettings()
    {
        var s = base.WorkerSettings();
        s["Logging:LogLevel:Default"] = "Information";
        s["Logging:LogLevel:RefundWorker"] = "Debug";
        s["Inbound:Partners:nicepay:ClientId"] = InboundClientId;
        s["Inbound:Partners:nicepay:ClientSecret"] = InboundSecret;
        s["Inbound:Partners:nicepay:PublicKey"] = NicepayKey.ExportSubjectPublicKeyInfoPem();
        s["Inbound:Partners:nicepay:SignatureMode"] = "Symmetric";
        s["Admin:Operators:scan:KeyHash"] = AdminAuthenticator.HashKey(AdminKey);
        s["Admin:Operators:scan:Role"] = "operator";
        return s;
    }

    protected override void ConfigureWorker(WebApplicationBuilder builder)
    {
        builder.Logging.AddProvider(Logs);
        builder.Services.AddOpenTelemetry().WithTracing(t => t.AddWorkerSources().AddInMemoryExporter(Spans));
    }
}

/// <summary>A collection the in-memory exporter can add to from many threads; read with <see cref="Snapshot"/>.</summary>
public sealed class SynchronizedCollection : ICollection<Activity>
{
    private readonly List<Activity> items = [];

    public int Count
    {
        get
        {
            lock (items)
            {
                return items.Count;
            }
        }
    }

    public bool IsReadOnly => false;

    public Activity[] Snapshot()
    {
        lock (items)
        {
            return [.. items];
        }
    }

    public void Add(Activity item)
    {
        lock (items)
        {
            items.Add(item);
        }
    }

    public void Clear()
    {
        lock (items)
        {
            items.Clear();
        }
    }

    public bool Contains(Activity item)
    {
        lock (items)
        {
            return items.Contains(item);
        }
    }

    public void CopyTo(Activity[] array, int arrayIndex)
    {
        lock (items)
        {
            items.CopyTo(array, arrayIndex);
        }
    }

    public bool Remove(Activity item)
    {
        lock (items)
        {
            return items.Remove(item);
        }
    }

    public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
