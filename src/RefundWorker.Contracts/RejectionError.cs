namespace RefundWorker.Contracts;

/// <summary>
/// Why a request was never sent: one per field or rule.
/// </summary>
/// <param name="Field">The JSON path of the SNAP field (e.g. <c>refundAmount.value</c>) or of the message field
/// in conflict (e.g. <c>amount</c>, <c>externalId</c>).</param>
/// <param name="Rule">A stable machine rule: <c>mandatory</c>, <c>maxLength:40</c>, <c>amountFormat</c>,
/// <c>currency</c>, <c>conflict</c>, <c>unknownProvider</c>, ...</param>
/// <param name="Message">A human sentence.</param>
public sealed record RejectionError(string Field, string Rule, string Message);
