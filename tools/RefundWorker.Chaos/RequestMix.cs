using RefundWorker.Contracts;

namespace RefundWorker.Chaos;

/// <summary>What one published message is, and so what the verifier expects of it.</summary>
public enum MessageRole
{
    /// <summary>A valid refund or cancel of its own original transaction.</summary>
    Request,

    /// <summary>The same message again (same RequestId): one provider call, the same outcome.</summary>
    Duplicate,

    /// <summary>A new RequestId reusing an earlier refund's partnerRefundNo with another amount.</summary>
    ConflictingRepeat,

    /// <summary>Readable, but invalid (a currency QRIS does not have, a zero amount): rejected, never sent.</summary>
    Invalid,

    /// <summary>Not JSON at all: the only messages that may end as dead letters.</summary>
    Unparseable,
}

/// <summary>One message of the order system, in publishing order.</summary>
public sealed record PlannedMessage(MessageRole Role, Guid RequestId, string Provider, object? Message, string Key);

/// <summary>An original transaction the sandbox must know before the request about it arrives.</summary>
public sealed record PlannedOriginal(string Provider, string ReferenceNo, string PartnerReferenceNo, string? MerchantId, decimal Amount);

/// <summary>
/// The order system's traffic of one run, drawn from the seed: refunds and cancels across the three provider
/// profiles (NICEPAY, the bank, iFortePay, plus a NICEPAY-profile provider that is not idempotent), with duplicates,
/// conflicting repeats, invalid and unparseable messages mixed in.
/// </summary>
public sealed class RequestMix
{
    public const string Nicepay = "nicepay";
    public const string Bnc = "bnc";
    public const string Ifortepay = "ifortepay";

    /// <summary>
    /// A NICEPAY-profile provider that keeps no idempotency key: a partnerRefundNo sent twice is refunded twice. The
    /// worker must never re-send blindly after an unknown outcome; its status answer lists the payment's refunds.
    /// </summary>
    public const string NonIdempotent = "nicepay-reissue";

    public const string NicepayMerchant = "IONPAYTEST";
    public const string BncMerchant = "BNCMERCHANT01";

    public static readonly string[] Providers = [Nicepay, Bnc, Ifortepay, NonIdempotent];

    public List<PlannedOriginal> Originals { get; } = [];

    public List<PlannedMessage> Messages { get; } = [];

    public static RequestMix Create(int count, int unparseable, int seed, string run)
    {
        var mix = new RequestMix();
        var random = new Random(seed);
        var refunds = new List<RefundRequested>();
        var requests = new List<PlannedMessage>();
        var garbageAt = Enumerable.Range(0, unparseable).Select(i => (int)((long)count * (i + 1) / (unparseable + 1))).ToHashSet();
        var seq = 0;
        string ExternalId() => $"7{run}{++seq:D9}";

        for (var i = 0; i < count; i++)
        {
            if (garbageAt.Contains(i))
            {
                mix.Messages.Add(new PlannedMessage(MessageRole.Unparseable, Guid.NewGuid(), Nicepay, null, "-"));
                continue;
            }

            var draw = random.NextDouble();
            if (draw < 0.03 && requests.Count > 0)
            {
                var earlier = requests[random.Next(requests.Count)];
                mix.Messages.Add(earlier with { Role = MessageRole.Duplicate });
                continue;
            }

            if (draw < 0.05 && refunds.Count > 0)
            {
                var earlier = refunds[random.Next(refunds.Count)];
                var repeat = earlier with { RequestId = Guid.NewGuid(), ExternalId = ExternalId(), Amount = earlier.Amount + 100m };
                mix.Messages.Add(new PlannedMessage(MessageRole.ConflictingRepeat, repeat.RequestId, repeat.Provider, repeat, repeat.PartnerRefundNo));
                continue;
            }

            var reference = $"CH{run}{i:D7}";
            var pick = random.NextDouble();
            if (pick < 0.25)
            {
                mix.Originals.Add(new PlannedOriginal(Ifortepay, reference, "ORDER-" + reference, null, 25_000m));
                var cancel = new CancelRequested
                {
                    RequestId = Guid.NewGuid(),
                    Provider = Ifortepay,
                    ExternalId = ExternalId(),
                    OriginalPartnerReferenceNo = "ORDER-" + reference,
                    OriginalReferenceNo = reference,
                    Reason = "Order cancelled before shipping",
                };
                var planned = new PlannedMessage(MessageRole.Request, cancel.RequestId, Ifortepay, cancel, cancel.OriginalPartnerReferenceNo);
                mix.Messages.Add(planned);
                requests.Add(planned);
                continue;
            }

            // NICEPAY: full refunds (cancelType 1), which its status answer can confirm without listing refunds.
            // The bank: full refunds, reconciled by re-sending (it has no status query). The non-idempotent
            // provider: partial refunds, which only its refund list can tell apart.
            var (provider, merchant, paid, amount, cancelType) = pick switch
            {
                < 0.60 => (Nicepay, NicepayMerchant, 10_000m + (i % 50 * 100m), 10_000m + (i % 50 * 100m), "1"),
                < 0.85 => (Bnc, BncMerchant, 15_000m, 15_000m, (string?)null),
                _ => (NonIdempotent, NicepayMerchant, 20_000m, 5_000m, "2"),
            };
            mix.Originals.Add(new PlannedOriginal(provider, reference, "ORDER-" + reference, merchant, paid));
            var refund = new RefundRequested
            {
                RequestId = Guid.NewGuid(),
                Provider = provider,
                PartnerRefundNo = "RF" + reference,
                ExternalId = ExternalId(),
                MerchantId = merchant,
                ExternalStoreId = provider == Bnc ? null : "NICEPAY",
                OriginalReferenceNo = reference,
                OriginalPartnerReferenceNo = "ORDER-" + reference,
                Amount = amount,
                Reason = "Customer returned the goods",
                AdditionalInfo = cancelType is null ? null : new Dictionary<string, string> { ["cancelType"] = cancelType },
            };
            if (random.NextDouble() < 0.02)
            {
                // QRIS is domestic: a USD refund, or one of nothing, is refused before anything is sent.
                refund = random.Next(2) == 0 ? refund with { Currency = "USD" } : refund with { Amount = 0m };
                var invalid = new PlannedMessage(MessageRole.Invalid, refund.RequestId, provider, refund, refund.PartnerRefundNo);
                mix.Messages.Add(invalid);
                requests.Add(invalid);
                continue;
            }

            var request = new PlannedMessage(MessageRole.Request, refund.RequestId, provider, refund, refund.PartnerRefundNo);
            mix.Messages.Add(request);
            requests.Add(request);
            refunds.Add(refund);
        }

        return mix;
    }

    /// <summary>Every RequestId that must end in exactly one outcome (all but the unparseable messages).</summary>
    public HashSet<Guid> ExpectedRequestIds()
        => [.. Messages.Where(m => m.Role != MessageRole.Unparseable).Select(m => m.RequestId)];

    public HashSet<Guid> UnparseableIds() => [.. Messages.Where(m => m.Role == MessageRole.Unparseable).Select(m => m.RequestId)];
}
