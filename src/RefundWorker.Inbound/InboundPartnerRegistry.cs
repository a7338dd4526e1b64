using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using RefundWorker.Snap;

namespace RefundWorker.Inbound;

/// <summary>A configured partner with its public key loaded.</summary>
public sealed class InboundPartner
{
    internal InboundPartner(string name, InboundPartnerOptions options, RSA publicKey)
    {
        Name = name;
        Options = options;
        PublicKey = publicKey;
    }

    /// <summary>Our name for the partner: the key under <c>Inbound:Partners</c>.</summary>
    public string Name { get; }

    public InboundPartnerOptions Options { get; }

    public RSA PublicKey { get; }
}

/// <summary>
/// The partners of <see cref="InboundOptions"/>, resolved once. Options were validated at start, so loading cannot
/// fail here for a setting that passed <see cref="InboundOptionsValidator"/>.
/// </summary>
public sealed class InboundPartnerRegistry
{
    private readonly Dictionary<string, InboundPartner> byName;
    private readonly Dictionary<string, InboundPartner> byClientId;
    private readonly Dictionary<string, InboundPartner> byPartnerId;

    public InboundPartnerRegistry(IOptions<InboundOptions> options)
    {
        byName = new Dictionary<string, InboundPartner>(StringComparer.OrdinalIgnoreCase);
        byClientId = new Dictionary<string, InboundPartner>(StringComparer.Ordinal);
        byPartnerId = new Dictionary<string, InboundPartner>(StringComparer.Ordinal);
        foreach (var (name, partnerOptions) in options.Value.Partners)
        {
            var partner = new InboundPartner(name, partnerOptions, LoadPublicKey($"{InboundOptions.SectionName}:Partners:{name}", partnerOptions));
            byName[name] = partner;
            byClientId[partnerOptions.ClientId] = partner;
            byPartnerId.TryAdd(partnerOptions.EffectivePartnerId, partner);
        }

        // A key nobody holds, as large as a real partner's, with the partner defaults. The token endpoint checks an
        // unknown X-CLIENT-KEY against it and answers as for a bad signature: the same code, message and work, so
        // neither the answer nor its timing tells a caller which client ids exist.
        Decoy = new InboundPartner("(unknown client)", new InboundPartnerOptions(), RSA.Create(2048));
    }

    /// <summary>Stand-in for an unknown X-CLIENT-KEY; its signature check always fails.</summary>
    public InboundPartner Decoy { get; }

    public IEnumerable<InboundPartner> All => byName.Values;

    /// <summary>The partner whose ClientId is <paramref name="clientId"/> (X-CLIENT-KEY). Ordinal: ids are case-sensitive.</summary>
    public bool TryGetByClientId(string clientId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InboundPartner? partner)
        => byClientId.TryGetValue(clientId, out partner);

    /// <summary>A partner whose X-PARTNER-ID is <paramref name="partnerId"/> (rate limiting only: it proves nothing).</summary>
    public bool TryGetByPartnerId(string partnerId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InboundPartner? partner)
        => byPartnerId.TryGetValue(partnerId, out partner);

    /// <summary>The partner named <paramref name="name"/> (as recorded with an issued token).</summary>
    public bool TryGetByName(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out InboundPartner? partner)
        => byName.TryGetValue(name, out partner);

    internal static RSA LoadPublicKey(string partnerKey, InboundPartnerOptions options)
        => string.IsNullOrWhiteSpace(options.PublicKeyPath)
            ? SnapKeys.LoadPublicKey(options.PublicKey ?? "", partnerKey + ":PublicKey")
            : SnapKeys.LoadPublicKeyFile(options.PublicKeyPath, partnerKey + ":PublicKeyPath");
}
