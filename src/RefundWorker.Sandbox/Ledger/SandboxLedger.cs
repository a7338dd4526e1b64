using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace RefundWorker.Sandbox;

/// <summary>
/// Original transactions and the refunds and cancels effected on them. Every change to one original happens
/// under that original's own lock, so 1,000 concurrent refunds of one payment are serialised against its
/// remainder while refunds of different payments never wait for each other.
/// </summary>
public sealed class SandboxLedger
{
    private readonly IReadOnlyDictionary<string, ProviderRuntime> _providers;
    private readonly SandboxSettings _settings;
    private readonly TimeProvider _time;
    private AllBooks _books;
    private long _sequence;

    internal SandboxLedger(SandboxSettings settings, IReadOnlyDictionary<string, ProviderRuntime> providers)
    {
        _settings = settings;
        _providers = providers;
        _time = settings.TimeProvider;
        _books = NewBooks();
        SeedConfigured(_books);
    }

    /// <summary>Adds an original transaction; missing references are generated.</summary>
    /// <exception cref="ArgumentException">The seed is invalid (unknown provider, non-positive amount, bad QR type).</exception>
    /// <exception cref="InvalidOperationException">A transaction with the same reference already exists.</exception>
    public LedgerEntry AddOriginal(OriginalSeed seed) => Add(Volatile.Read(ref _books), seed).Snapshot();

    /// <summary>Adds several original transactions, stopping at the first invalid one.</summary>
    public IReadOnlyList<LedgerEntry> AddOriginals(IEnumerable<OriginalSeed> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var books = Volatile.Read(ref _books);
        return [.. seeds.Select(s => Add(books, s).Snapshot())];
    }

    /// <summary>Every original (of one provider when given), in the order they were added.</summary>
    public IReadOnlyList<LedgerEntry> Snapshot(string? provider = null)
    {
        var books = Volatile.Read(ref _books);
        return [.. books.Providers
            .Where(p => provider is null || string.Equals(p.Key, provider, StringComparison.OrdinalIgnoreCase))
            .SelectMany(p => p.Value.InOrder)
            .Select(o => o.Snapshot())];
    }

    /// <summary>One original by the provider's reference number, or null.</summary>
    public LedgerEntry? Find(string provider, string originalReferenceNo)
        => Books(provider)?.ByReferenceNo.GetValueOrDefault(originalReferenceNo)?.Snapshot();

    /// <summary>One original by the merchant's reference number, or null.</summary>
    public LedgerEntry? FindByPartnerReferenceNo(string provider, string originalPartnerReferenceNo)
        => Books(provider)?.ByPartnerReferenceNo.GetValueOrDefault(originalPartnerReferenceNo)?.Snapshot();

    /// <summary>Total refunded over every original of every provider (a quick "no double refund" check).</summary>
    public decimal TotalRefunded() => Snapshot().Sum(e => e.RefundedAmount);

    internal void Reset()
    {
        var books = NewBooks();
        SeedConfigured(books);
        Volatile.Write(ref _books, books);
    }

    /// <summary>
    /// Finds the original a request names. Every identifier given must point at the same transaction; a request
    /// naming two different ones (or an unknown one) finds nothing, which the caller answers 404xx01.
    /// </summary>
    internal Original? Resolve(string provider, string? referenceNo, string? partnerReferenceNo, string? externalId)
    {
        var books = Books(provider);
        if (books is null)
        {
            return null;
        }

        Original? found = null;
        if (!string.IsNullOrEmpty(referenceNo) && !Match(books.ByReferenceNo, referenceNo, ref found))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(partnerReferenceNo) && !Match(books.ByPartnerReferenceNo, partnerReferenceNo, ref found))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(externalId) && !Match(books.ByExternalId, externalId, ref found))
        {
            return null;
        }

        return found;

        static bool Match(ConcurrentDictionary<string, Original> index, string key, ref Original? found)
        {
            if (!index.TryGetValue(key, out var o) || (found is not null && !ReferenceEquals(found, o)))
            {
                return false;
            }

            found = o;
            return true;
        }
    }

    /// <summary>Books a refund if the original allows it.</summary>
    /// <param name="idempotent">False for a provider that keeps no idempotency key: a partnerRefundNo seen before
    /// is booked again as a new refund (its own entry, its own referenceNo), which is what makes a worker's double
    /// send visible in the ledger.</param>
    internal RefundOutcome Refund(ProviderRuntime provider, Original original, RefundAttempt attempt, bool idempotent = true)
    {
        var books = Books(provider.Name)!;
        lock (original.Gate)
        {
            if (idempotent && books.RefundsByPartnerRefundNo.TryGetValue(attempt.PartnerRefundNo, out var existing))
            {
                return Duplicate(existing, original, attempt);
            }

            if (original.Cancel is not null)
            {
                return new RefundOutcome(RefundResult.OriginalCancelled, null);
            }

            if (original.Status != OriginalStatus.Paid)
            {
                return new RefundOutcome(RefundResult.NotRefundable, null);
            }

            // cancelType "1" (NICEPAY) is a full refund: the whole paid amount, and only if nothing was refunded yet.
            if (attempt.CancelType == "1" && (original.Refunded != 0 || attempt.Amount != original.Amount))
            {
                return new RefundOutcome(RefundResult.FullRefundMismatch, null);
            }

            if (attempt.Amount > original.Amount - original.Refunded)
            {
                return new RefundOutcome(RefundResult.OverRefund, null);
            }

            var now = _time.GetUtcNow();
            var record = new RefundEntry(
                original,
                new LedgerRefund(
                    attempt.PartnerRefundNo,
                    NewReference(provider, now),
                    attempt.Amount,
                    attempt.Currency,
                    attempt.CancelType,
                    attempt.Reason,
                    attempt.ExternalId,
                    now,
                    NewTrxSn(now)));

            // The provider-wide index is the commit point: the same partnerRefundNo racing on two different
            // originals (two locks) still books only once. Without idempotency the index keeps the first booking
            // (for when idempotency is switched back on) and every later one is booked anyway.
            if (!books.RefundsByPartnerRefundNo.TryAdd(attempt.PartnerRefundNo, record) && idempotent)
            {
                return Duplicate(books.RefundsByPartnerRefundNo[attempt.PartnerRefundNo], original, attempt);
            }

            original.Refunds.Add(record.Refund);
            original.Refunded += attempt.Amount;
            return new RefundOutcome(RefundResult.Refunded, record.Refund);
        }
    }

    internal CancelOutcome Cancel(Original original, string externalId, string? reason)
    {
        lock (original.Gate)
        {
            if (original.Cancel is not null)
            {
                return new CancelOutcome(CancelResult.AlreadyCancelled, original.Cancel);
            }

            var now = _time.GetUtcNow();
            if (!string.Equals(original.QrType, "DYNAMIC", StringComparison.OrdinalIgnoreCase)
                || original.Refunds.Count > 0
                || original.Status == OriginalStatus.Failed
                || (original.CancellableUntil is { } until && now > until))
            {
                return new CancelOutcome(CancelResult.NotCancellable, null);
            }

            original.Cancel = new LedgerCancel(externalId, reason, now);
            return new CancelOutcome(CancelResult.Cancelled, original.Cancel);
        }
    }

    private static RefundOutcome Duplicate(RefundEntry existing, Original original, RefundAttempt attempt)
    {
        var same = ReferenceEquals(existing.Original, original)
            && existing.Refund.Amount == attempt.Amount
            && string.Equals(existing.Refund.Currency, attempt.Currency, StringComparison.Ordinal);
        return new RefundOutcome(same ? RefundResult.Duplicate : RefundResult.DuplicateMismatch, existing.Refund);
    }

    private Original Add(AllBooks books, OriginalSeed seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (string.IsNullOrWhiteSpace(seed.Provider) || !_providers.TryGetValue(seed.Provider, out var provider))
        {
            throw new ArgumentException($"Original transaction: provider '{seed.Provider}' is not configured; expected one of {string.Join(", ", _providers.Keys)}.", nameof(seed));
        }

        if (seed.Amount <= 0)
        {
            throw new ArgumentException("Original transaction: amount must be positive.", nameof(seed));
        }

        var qrType = (seed.QrType ?? "DYNAMIC").Trim().ToUpperInvariant();
        if (qrType is not ("DYNAMIC" or "STATIC"))
        {
            throw new ArgumentException("Original transaction: qrType must be DYNAMIC or STATIC.", nameof(seed));
        }

        var now = _time.GetUtcNow();
        var original = new Original(
            provider.Name,
            string.IsNullOrWhiteSpace(seed.OriginalReferenceNo) ? NewReference(provider, now) : seed.OriginalReferenceNo.Trim(),
            string.IsNullOrWhiteSpace(seed.OriginalPartnerReferenceNo)
                ? "ORDER" + Interlocked.Increment(ref _sequence).ToString("D10", CultureInfo.InvariantCulture)
                : seed.OriginalPartnerReferenceNo.Trim(),
            string.IsNullOrWhiteSpace(seed.OriginalExternalId) ? null : seed.OriginalExternalId.Trim(),
            string.IsNullOrWhiteSpace(seed.MerchantId) ? null : seed.MerchantId.Trim(),
            seed.Amount,
            string.IsNullOrWhiteSpace(seed.Currency) ? "IDR" : seed.Currency.Trim(),
            qrType,
            seed.Status,
            seed.PaidTime ?? now,
            seed.CancellableUntil);

        var pb = books.Providers[provider.Name];
        if (!pb.ByReferenceNo.TryAdd(original.ReferenceNo, original))
        {
            throw new InvalidOperationException($"Original transaction {provider.Name}/{original.ReferenceNo} already exists.");
        }

        if (!pb.ByPartnerReferenceNo.TryAdd(original.PartnerReferenceNo, original))
        {
            pb.ByReferenceNo.TryRemove(original.ReferenceNo, out _);
            throw new InvalidOperationException($"An original transaction of {provider.Name} with originalPartnerReferenceNo {original.PartnerReferenceNo} already exists.");
        }

        if (original.ExternalId is not null && !pb.ByExternalId.TryAdd(original.ExternalId, original))
        {
            pb.ByReferenceNo.TryRemove(original.ReferenceNo, out _);
            pb.ByPartnerReferenceNo.TryRemove(original.PartnerReferenceNo, out _);
            throw new InvalidOperationException($"An original transaction of {provider.Name} with originalExternalId {original.ExternalId} already exists.");
        }

        pb.InOrder.Enqueue(original);
        return original;
    }

    private void SeedConfigured(AllBooks books)
    {
        foreach (var seed in _settings.Originals)
        {
            Add(books, seed);
        }

        if (!string.IsNullOrWhiteSpace(_settings.OriginalsFile))
        {
            foreach (var seed in ReadOriginalsFile(_settings.OriginalsFile))
            {
                Add(books, seed);
            }
        }
    }

    internal static List<OriginalSeed> ReadOriginalsFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, SandboxJson.Context.ListOriginalSeed) ?? [];
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new SandboxConfigurationException($"{SandboxSettings.SectionName}:OriginalsFile '{path}' cannot be read as a JSON array of originals: {ex.Message}", ex);
        }
    }

    // NICEPAY's tXid shape: iMid + "08" (QRIS) + yyyyMMddHHmmss + sequence; the bank's: 25 digits.
    private string NewReference(ProviderRuntime provider, DateTimeOffset now)
    {
        var n = Interlocked.Increment(ref _sequence);
        var stamp = now.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        return provider.IsNicepay
            ? provider.ClientId + "08" + stamp + (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture)
            : stamp + (n % 100_000_000_000).ToString("D11", CultureInfo.InvariantCulture);
    }

    private string NewTrxSn(DateTimeOffset now)
    {
        var n = Interlocked.Increment(ref _sequence);
        return now.ToOffset(TimeSpan.FromHours(7)).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
            + (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    private ProviderBooks? Books(string provider)
        => Volatile.Read(ref _books).Providers.GetValueOrDefault(provider);

    private AllBooks NewBooks()
        => new(_providers.Keys.ToDictionary(k => k, _ => new ProviderBooks(), StringComparer.OrdinalIgnoreCase));

    private sealed record AllBooks(Dictionary<string, ProviderBooks> Providers);

    private sealed class ProviderBooks
    {
        public ConcurrentDictionary<string, Original> ByReferenceNo { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, Original> ByPartnerReferenceNo { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, Original> ByExternalId { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, RefundEntry> RefundsByPartnerRefundNo { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<Original> InOrder { get; } = new();
    }

    private sealed record RefundEntry(Original Original, LedgerRefund Refund);
}

internal sealed class Original(
    string provider,
    string referenceNo,
    string partnerReferenceNo,
    string? externalId,
    string? merchantId,
    decimal amount,
    string currency,
    string qrType,
    OriginalStatus status,
    DateTimeOffset paidTime,
    DateTimeOffset? cancellableUntil)
{
    public Lock Gate { get; } = new();

    public string Provider { get; } = provider;

    public string ReferenceNo { get; } = referenceNo;

    public string PartnerReferenceNo { get; } = partnerReferenceNo;

    public string? ExternalId { get; } = externalId;

    public string? MerchantId { get; } = merchantId;

    public decimal Amount { get; } = amount;

    public string Currency { get; } = currency;

    public string QrType { get; } = qrType;

    public OriginalStatus Status { get; } = status;

    public DateTimeOffset PaidTime { get; } = paidTime;

    public DateTimeOffset? CancellableUntil { get; } = cancellableUntil;

    // Guarded by Gate.
    public List<LedgerRefund> Refunds { get; } = [];

    public decimal Refunded { get; set; }

    public LedgerCancel? Cancel { get; set; }

    public LedgerEntry Snapshot()
    {
        lock (Gate)
        {
            var (code, desc) = StatusOf();
            return new LedgerEntry(
                Provider, ReferenceNo, PartnerReferenceNo, ExternalId, MerchantId, Amount, Currency, QrType, Status,
                PaidTime, CancellableUntil, code, desc, Refunded, Amount - Refunded, [.. Refunds], Cancel);
        }
    }

    // latestTransactionStatus of SNAP's QR query: 00 success, 03 pending, 04 refunded, 05 cancelled, 06 failed.
    // Call under Gate.
    public (string Code, string Description) StatusOf()
    {
        if (Cancel is not null)
        {
            return ("05", "Cancelled");
        }

        if (Refunds.Count > 0)
        {
            return ("04", Refunded == Amount ? "Refunded" : "Partially Refunded");
        }

        return Status switch
        {
            OriginalStatus.Pending => ("03", "Pending"),
            OriginalStatus.Failed => ("06", "Failed"),
            _ => ("00", "Success"),
        };
    }
}

internal readonly record struct RefundAttempt(
    string PartnerRefundNo,
    decimal Amount,
    string Currency,
    string? CancelType,
    string? Reason,
    string ExternalId);

internal enum RefundResult
{
    Refunded,
    Duplicate,
    DuplicateMismatch,
    OverRefund,
    FullRefundMismatch,
    NotRefundable,
    OriginalCancelled,
}

internal readonly record struct RefundOutcome(RefundResult Result, LedgerRefund? Refund);

internal enum CancelResult
{
    Cancelled,
    AlreadyCancelled,
    NotCancellable,
}

internal readonly record struct CancelOutcome(CancelResult Result, LedgerCancel? Cancel);
