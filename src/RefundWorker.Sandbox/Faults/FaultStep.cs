using System.Text.Json.Serialization;

namespace RefundWorker.Sandbox;

/// <summary>
/// One scripted answer: the next request of the scripted provider and operation gets this, whatever the rates say.
/// Steps are consumed in order, one per request; when the script is empty the rates apply again.
/// </summary>
public sealed class FaultStep
{
    /// <summary>What happens.</summary>
    public FaultKind Kind { get; set; }

    /// <summary>For <see cref="FaultKind.Respond"/>: the 7-digit responseCode to answer (its first 3 digits are the HTTP status).</summary>
    public string? ResponseCode { get; set; }

    /// <summary>For <see cref="FaultKind.Respond"/>: the responseMessage; default "Sandbox scripted response".</summary>
    public string? ResponseMessage { get; set; }

    /// <summary>Delay before the step acts, replacing the configured latency for this request.</summary>
    public int? DelayMs { get; set; }

    /// <summary>Shorthand constructor.</summary>
    public static FaultStep Of(FaultKind kind, int? delayMs = null) => new() { Kind = kind, DelayMs = delayMs };

    /// <summary>A scripted SNAP answer such as <c>4037806</c> or <c>2027800</c>; nothing is applied.</summary>
    public static FaultStep Respond(string responseCode, string? message = null) => new() { Kind = FaultKind.Respond, ResponseCode = responseCode, ResponseMessage = message };
}

/// <summary>What a fault does to one request.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FaultKind>))]
public enum FaultKind
{
    /// <summary>Processed normally.</summary>
    None,

    /// <summary>HTTP 500, <c>500xx01</c>; not applied.</summary>
    Error500,

    /// <summary>HTTP 503, text body; not applied.</summary>
    Error503,

    /// <summary>HTTP 504, <c>504xx00</c>; not applied.</summary>
    Error504,

    /// <summary>HTTP 429, <c>429xx00</c>; not applied.</summary>
    Error429,

    /// <summary>No answer within the hang time, then the connection drops; not applied.</summary>
    Hang,

    /// <summary>Applied, then HTTP 504 <c>504xx00</c>.</summary>
    LostResponse504,

    /// <summary>Applied, then the connection is aborted.</summary>
    LostResponseAbort,

    /// <summary>Applied, then no answer within the hang time, then the connection drops.</summary>
    LostResponseHang,

    /// <summary>Answers <see cref="FaultStep.ResponseCode"/>; not applied.</summary>
    Respond,
}
