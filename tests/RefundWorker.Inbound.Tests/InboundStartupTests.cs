using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RefundWorker.Inbound.Tests;

/// <summary>The host refuses to start on a wrong Inbound setting, naming the key (ValidateOnStart is wired).</summary>
public sealed class InboundStartupTests
{
    [Fact]
    public async Task Should_refuse_to_start_naming_the_key_when_a_partner_has_no_public_key()
    {
        await using var app = WorkerApp.Build([], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Never contacted: validation fails before anything connects.
                ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Database=x",
                ["ConnectionStrings:RabbitMq"] = "amqp://x:x@127.0.0.1:1/",
                ["Inbound:Partners:nicepay:ClientId"] = "IONPAYTEST",
                ["Inbound:Partners:nicepay:ClientSecret"] = "secret",
            });
            b.Logging.ClearProviders();
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Inbound:Partners:nicepay:PublicKeyPath or Inbound:Partners:nicepay:PublicKey", error.Message, StringComparison.Ordinal);
    }
}
