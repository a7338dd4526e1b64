using System.Diagnostics.Metrics;

namespace RefundWorker.Inbound;

/// <summary>
/// Instruments of the inbound endpoints. They sit on a Meter named like the worker's own (<see cref="MeterName"/>,
/// the host's WorkerTelemetry.MeterName; a test holds the two equal), so the host's metrics pipeline, which listens
/// by that name, exports them without knowing this project.
/// <c>refundworker.inbound.answers</c>: every answer sent to a partner, tagged <c>endpoint</c> (token, cvs-inquiry) and
/// <c>response_code</c> (the 7-digit SNAP code; a small closed set, so cardinality stays bounded).
/// </summary>
public static class InboundTelemetry
{
    public const string MeterName = "RefundWorker";

    public static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Answers = Meter.CreateCounter<long>(
        "refundworker.inbound.answers",
        description: "Answers sent by the inbound SNAP endpoints (token, CVS inquiry), by SNAP response code.");
}
