namespace RefundWorker.Tests.Telemetry;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("max(x) > 0", "max(x) > bool 0")]
    [InlineData("max by (p) (x{a!=\"b\"}) >= 300", "max by (p) (x{a!=\"b\"}) >= bool 300")]
    [InlineData("max(delta(x{s=\"New\"}[15m])) > bool 0", "max(delta(x{s=\"New\"}[15m])) > bool 0")]
    [InlineData("(a > 1) and (b < 2)", "(a > bool 1) and (b < bool 2)")]
    [InlineData("a == b", "a == bool b")]
    [InlineData("sum(rate(x[1m]))", "sum(rate(x[1m]))")]
    public void Should_turn_comparisons_into_bool_comparisons_outside_matchers(string expr, string expected)
        => Assert.Equal(expected, PromQl.WithBoolComparisons(expr));
}
