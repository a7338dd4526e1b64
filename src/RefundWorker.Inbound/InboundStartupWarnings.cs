using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RefundWorker.Inbound;

/// <summary>
/// Says at start what a configuration accepts that an operator should know about: a partner in
/// <see cref="InboundSignatureMode.AsymmetricClientIdTimestamp"/> signs only its client id and the timestamp, so
/// within the skew window a captured signature is valid with any body. It is allowed (it is what NICEPAY's page
/// describes), but it must not go unnoticed.
/// </summary>
internal sealed class InboundStartupWarnings(IOptions<InboundOptions> options, ILogger<InboundStartupWarnings> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, partner) in options.Value.Partners)
        {
            if (partner.SignatureMode == InboundSignatureMode.AsymmetricClientIdTimestamp)
            {
                logger.LogWarning(
                    "Inbound partner {Partner} uses SignatureMode {Mode}: its inquiry signature does not cover the body, so for {Skew}s a captured "
                    + "signature is accepted with any body. Use Symmetric or AsymmetricRequest once the partner supports it.",
                    name,
                    partner.SignatureMode,
                    partner.TimestampSkewSeconds);
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
