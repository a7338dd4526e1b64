using System.Runtime.Serialization;
using System.Text;
using RabbitMQ.Client;
using RefundWorker.Consumers;
using RefundWorker.Contracts;

namespace RefundWorker.Tests.Consumers;

/// <summary>
/// Reading a request the way MassTransit's receive path did: the envelope, the message type, MassTransit's serializer
/// settings; and the three answers (message, fault, dead letter) with a reason that names what is wrong.
/// </summary>
public sealed class RequestEnvelopeTests
{
    private const string RefundType = "urn:message:RefundWorker.Contracts:RefundRequested";
    private static readonly Guid RequestId = Guid.Parse("0192f7a4-5b6c-7d8e-9f00-112233445566");

    private static ReadResult<RefundRequested> Read(string body, string? contentType = "application/vnd.masstransit+json")
        => RequestEnvelope.Read<RefundRequested>(Encoding.UTF8.GetBytes(body), new BasicProperties { ContentType = contentType }, RefundType);

    /// <summary>A complete request; <paramref name="extra"/> adds or overrides fields.</summary>
    private static string Message(string extra = "")
        => $$"""{"requestId":"{{RequestId}}","provider":"nicepay","partnerRefundNo":"RF-1","externalId":"1234567890","merchantId":"IONPAYTEST","amount":10000.00{{extra}}}""";

    private static string Envelope(string message, string type = RefundType, string headers = "{}")
        => $$"""{"messageId":"{{Guid.NewGuid()}}","messageType":["{{type}}"],"message":{{message}},"sentTime":"2026-12-01T00:00:00Z","headers":{{headers}}}""";

    [Fact]
    public void Should_read_the_message_with_MassTransits_case_insensitive_names()
    {
        var r = Read(Envelope(Message().Replace("\"requestId\"", "\"RequestId\"", StringComparison.Ordinal).Replace("\"provider\"", "\"PROVIDER\"", StringComparison.Ordinal)));

        Assert.Null(r.Fault);
        Assert.Null(r.DeadLetter);
        Assert.Equal(RequestId, r.Message!.RequestId);
        Assert.Equal("nicepay", r.Message.Provider);
        Assert.Equal(10_000.00m, r.Message.Amount);
    }

    [Fact]
    public void Should_take_the_senders_traceparent_from_the_envelope_headers()
    {
        const string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        var r = Read(Envelope(Message(), headers: $$"""{"MT-Activity-Id":"{{parent}}"}"""));

        Assert.Equal(parent, r.TraceParent);
    }

    [Fact]
    public void Should_fault_a_message_without_a_required_field_naming_it()
    {
        var r = Read(Envelope($$"""{"requestId":"{{RequestId}}","provider":"nicepay"}"""));

        Assert.IsType<SerializationException>(r.Fault);
        Assert.Contains("partnerRefundNo", r.Fault!.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Should_fault_a_body_that_is_not_JSON_and_say_so()
    {
        var r = Read("{ this is not json");

        Assert.IsType<SerializationException>(r.Fault);
        Assert.Contains("not valid JSON", r.Fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fault_a_field_of_the_wrong_type_naming_the_field()
    {
        var r = Read(Envelope(Message().Replace("\"amount\":10000.00", "\"amount\":\"ten thousand\"", StringComparison.Ordinal)));

        Assert.IsType<SerializationException>(r.Fault);
        Assert.Contains("amount", r.Fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fault_an_unsupported_content_type()
    {
        var r = Read(Envelope(Message()), contentType: "application/xml");

        Assert.IsType<SerializationException>(r.Fault);
        Assert.Contains("application/xml", r.Fault!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_read_an_envelope_without_a_content_type()
    {
        var r = Read(Envelope(Message()), contentType: null);

        Assert.Equal(RequestId, r.Message!.RequestId);
    }

    [Fact]
    public void Should_dead_letter_a_type_this_queue_does_not_consume()
    {
        var r = Read(Envelope(Message(), type: "urn:message:RefundWorker.Contracts:RefundRequestedV9"));

        Assert.Null(r.Message);
        Assert.Null(r.Fault);
        Assert.Contains("RefundRequestedV9", r.DeadLetter, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_fault_nesting_deeper_than_MassTransit_reads()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);

        var r = Read(Envelope(Message(",\"additionalInfo\":" + deep)));

        Assert.IsType<SerializationException>(r.Fault);
    }
}
