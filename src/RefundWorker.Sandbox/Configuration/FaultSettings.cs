using System.Text.Json.Serialization;

namespace RefundWorker.Sandbox;

/// <summary>
/// Faults of one provider (<c>Sandbox:Providers:&lt;name&gt;:Faults</c>, or <c>PUT /_sandbox/faults/&lt;name&gt;</c>).
/// Rates are probabilities in [0, 1] drawn from one seeded sequence per provider; they are exclusive and their sum
/// must not exceed 1. A scripted step (<see cref="FaultStep"/>) takes precedence over the rates.
/// </summary>
public sealed class FaultSettings
{
    /// <summary>
    /// Operations the rates, latency, hang and lost response apply to; null means refund, cancel and query (the
    /// token endpoint has its own <see cref="TokenLatencyMs"/> and <see cref="TokenActualLifetimeSeconds"/>).
    /// </summary>
    public List<SandboxOperation>? Operations { get; set; }

    /// <summary>HTTP 500 with <c>500xx01</c>; nothing applied.</summary>
    public double Error500Rate { get; set; }

    /// <summary>HTTP 503 with a non-SNAP text body, as a load balancer sends it; nothing applied.</summary>
    public double Error503Rate { get; set; }

    /// <summary>HTTP 504 with <c>504xx00</c>; nothing applied (compare <see cref="LostResponseRate"/>).</summary>
    public double Error504Rate { get; set; }

    /// <summary>HTTP 429 with <c>429xx00</c>; nothing applied.</summary>
    public double Error429Rate { get; set; }

    /// <summary>No answer for <see cref="HangSeconds"/>, then the connection is dropped; nothing applied.</summary>
    public double HangRate { get; set; }

    /// <summary>How long a hang lasts before the connection is dropped (or the client gives up). Default 300.</summary>
    public int HangSeconds { get; set; } = 300;

    /// <summary>The request is applied (refund or cancel booked in the ledger), then the answer is lost per <see cref="LostResponseMode"/>.</summary>
    public double LostResponseRate { get; set; }

    /// <summary>How a lost response is lost.</summary>
    public LostResponseMode LostResponseMode { get; set; } = LostResponseMode.Gateway504;

    /// <summary>Delay before answering (also before faults are answered).</summary>
    public LatencySettings Latency { get; set; } = new();

    /// <summary>Delay before the token endpoint answers.</summary>
    public int TokenLatencyMs { get; set; }

    /// <summary>When set, issued tokens die after this many seconds whatever <c>expiresIn</c> announces.</summary>
    public int? TokenActualLifetimeSeconds { get; set; }

    internal FaultSettings Clone() => new()
    {
        Operations = Operations is null ? null : [.. Operations],
        Error500Rate = Error500Rate,
        Error503Rate = Error503Rate,
        Error504Rate = Error504Rate,
        Error429Rate = Error429Rate,
        HangRate = HangRate,
        HangSeconds = HangSeconds,
        LostResponseRate = LostResponseRate,
        LostResponseMode = LostResponseMode,
        Latency = Latency.Clone(),
        TokenLatencyMs = TokenLatencyMs,
        TokenActualLifetimeSeconds = TokenActualLifetimeSeconds,
    };

    internal bool AppliesTo(SandboxOperation operation)
        => Operations is null ? operation != SandboxOperation.Token : Operations.Contains(operation);

    internal string? Validate()
    {
        double[] rates = [Error500Rate, Error503Rate, Error504Rate, Error429Rate, HangRate, LostResponseRate];
        if (rates.Any(r => r is < 0 or > 1 || double.IsNaN(r)))
        {
            return "every rate must be between 0 and 1";
        }

        if (rates.Sum() > 1.000001)
        {
            return "the rates are exclusive outcomes of one draw: their sum must not exceed 1";
        }

        if (HangSeconds < 0 || TokenLatencyMs < 0 || TokenActualLifetimeSeconds < 0)
        {
            return "HangSeconds, TokenLatencyMs and TokenActualLifetimeSeconds must not be negative";
        }

        return Latency.Validate();
    }
}

/// <summary>How an applied request's answer is lost.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LostResponseMode>))]
public enum LostResponseMode
{
    /// <summary>HTTP 504 with <c>504xx00</c>, as a gateway that timed out waiting for the provider.</summary>
    Gateway504,

    /// <summary>The connection is aborted without an answer (the client sees a reset / premature end).</summary>
    Abort,

    /// <summary>No answer for <see cref="FaultSettings.HangSeconds"/>, then the connection is dropped.</summary>
    Hang,
}

/// <summary>Latency injected before an answer.</summary>
public sealed class LatencySettings
{
    /// <summary>Shape of the delay.</summary>
    public LatencyDistribution Distribution { get; set; } = LatencyDistribution.None;

    /// <summary>Fixed: the delay.</summary>
    public double FixedMs { get; set; }

    /// <summary>Uniform: lower bound; every distribution: floor.</summary>
    public double MinMs { get; set; }

    /// <summary>Uniform: upper bound; every distribution: ceiling (0 = none).</summary>
    public double MaxMs { get; set; }

    /// <summary>Normal, Exponential, LogNormal: mean.</summary>
    public double MeanMs { get; set; }

    /// <summary>Normal, LogNormal: standard deviation.</summary>
    public double StdDevMs { get; set; }

    internal LatencySettings Clone() => (LatencySettings)MemberwiseClone();

    internal string? Validate()
    {
        if (FixedMs < 0 || MinMs < 0 || MaxMs < 0 || MeanMs < 0 || StdDevMs < 0)
        {
            return "latency values must not be negative";
        }

        if (Distribution == LatencyDistribution.Uniform && MaxMs < MinMs)
        {
            return "uniform latency needs MaxMs >= MinMs";
        }

        return null;
    }
}

/// <summary>Shapes of injected latency.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LatencyDistribution>))]
public enum LatencyDistribution
{
    /// <summary>No delay.</summary>
    None,

    /// <summary>Always <see cref="LatencySettings.FixedMs"/>.</summary>
    Fixed,

    /// <summary>Uniform between MinMs and MaxMs.</summary>
    Uniform,

    /// <summary>Normal(MeanMs, StdDevMs), clamped to [MinMs, MaxMs].</summary>
    Normal,

    /// <summary>Exponential with mean MeanMs (long tail), clamped.</summary>
    Exponential,

    /// <summary>Log-normal with the given mean and standard deviation (realistic service latency), clamped.</summary>
    LogNormal,
}

/// <summary>The operations a provider serves.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SandboxOperation>))]
public enum SandboxOperation
{
    /// <summary>B2B access token (service 73).</summary>
    Token,

    /// <summary>QRIS refund (service 78).</summary>
    Refund,

    /// <summary>QRIS MPM cancel (service 77).</summary>
    Cancel,

    /// <summary>QRIS MPM query (service 51).</summary>
    Query,
}
