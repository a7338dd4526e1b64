using System.Text.RegularExpressions;
using RefundWorker.Contracts;
using RefundWorker.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// A refund worker in a payments network connects to its configured providers, broker, database and telemetry
/// endpoint, and nowhere else. The worker runs as a real process under <c>strace</c>, which records every
/// <c>connect()</c> it makes (DNS lookups included: they connect to the resolver). Every service here listens on
/// loopback, so any other address is an unconfigured host.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed partial class EgressTests(ProcessFixture fx, ITestOutputHelper output)
{
    [Fact]
    public async Task Should_connect_to_no_host_but_the_configured_ones_through_a_refund()
    {
        var trace = Path.Combine(Path.GetTempPath(), $"rw-egress-{Guid.NewGuid():N}.txt");
        var original = fx.Sandbox.Original("nicepay", merchantId: Requests.NicepayMerchant);
        var request = Requests.NicepayRefund(original);
        var settings = fx.WorkerSettings();
        try
        {
            await using (var worker = await WorkerProcess.StartAsync(settings, ["strace", "-f", "-qq", "-e", "trace=connect", "-o", trace]))
            {
                await fx.PublishAsync(request);
                await fx.Outcomes.WaitForAsync<RefundSucceeded>(request.RequestId, TimeSpan.FromSeconds(30));
                // MassTransit reports its usage telemetry some seconds after the bus starts: stay up past that.
                await Task.Delay(TimeSpan.FromSeconds(15));
                Assert.False(worker.HasExited, worker.Tail);
            }

            var connects = File.ReadAllLines(trace).Where(l => l.Contains("connect(", StringComparison.Ordinal)).ToList();
            var foreign = connects.Where(l => !Allowed(l)).ToList();
            output.WriteLine($"{connects.Count} connect() calls recorded; {foreign.Count} to an address that is not loopback");
            foreach (var line in foreign.Take(20))
            {
                output.WriteLine(line);
            }

            Assert.True(connects.Count > 0, "strace recorded no connect() at all: the trace did not work");
            Assert.Empty(foreign);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    /// <summary>Loopback IPv4/IPv6 (the services), unix sockets (the runtime's own), and unspecified-family probes.</summary>
    private static bool Allowed(string line)
    {
        if (line.Contains("AF_UNIX", StringComparison.Ordinal) || line.Contains("AF_UNSPEC", StringComparison.Ordinal) || line.Contains("AF_NETLINK", StringComparison.Ordinal))
        {
            return true;
        }

        var v4 = Inet4().Match(line);
        if (v4.Success)
        {
            return v4.Groups[1].Value.StartsWith("127.", StringComparison.Ordinal);
        }

        var v6 = Inet6().Match(line);
        return v6.Success && v6.Groups[1].Value is "::1" or "::ffff:127.0.0.1";
    }

    [GeneratedRegex("inet_addr\\(\"([0-9.]+)\"\\)")]
    private static partial Regex Inet4();

    [GeneratedRegex("inet_pton\\(AF_INET6, \"([0-9a-fA-F:.]+)\"")]
    private static partial Regex Inet6();
}
