using System.Diagnostics.Metrics;
using RefundWorker.Telemetry;

namespace RefundWorker.Inbound;

/// <summary>
/// Instruments of the inbound endpoints, on the worker's one Meter (<see cref="WorkerTelemetry.MeterName"/>).
/// <c>refundworker.inbound.answers</c>: every answer sent to a partner, tagged <c>endpoint</c> (token, cvs-inquiry) and
/// <c>response_code</c> (the 7-digit SNAP code; a small closed set, so cardinality stays bounded).
/// </summary>
public static class InboundTelemetry
{
    public static readonly Counter<long> Answers = WorkerTelemetry.Meter.CreateCounter<long>(
        "refundworker.inbound.answers",
        description: "Answers sent by the inbound SNAP endpoints (token, CVS inquiry), by SNAP response code.");
}
