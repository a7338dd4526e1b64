using System.Text;
using RefundWorker.Snap.Tests.Support;

namespace RefundWorker.Snap.Tests;

public sealed class JsonMinifierTests
{
    public static IEnumerable<object[]> MinifyVectors => TestData.Indexes("minify");

    [Theory]
    [MemberData(nameof(MinifyVectors))]
    public void Should_produce_vector_output_when_minifying_string(int index)
    {
        var v = TestData.Vector("minify", index);

        Assert.Equal(v.Str("output"), JsonMinifier.Minify(v.Str("input")));
    }

    [Theory]
    [MemberData(nameof(MinifyVectors))]
    public void Should_produce_vector_output_when_minifying_utf8(int index)
    {
        var v = TestData.Vector("minify", index);

        Assert.Equal(Encoding.UTF8.GetBytes(v.Str("output")), JsonMinifier.Minify(Encoding.UTF8.GetBytes(v.Str("input"))));
    }

    [Theory]
    [InlineData("{ \"reason\" : \"two  spaces\\tand tab\" }", "{\"reason\":\"two  spaces\\tand tab\"}")]
    [InlineData("{\"a\": \"quote \\\" inside \", \"b\" : [1, 2 ,\t3]}", "{\"a\":\"quote \\\" inside \",\"b\":[1,2,3]}")]
    [InlineData("{\"a\":\"ends with backslash \\\\\" , \"b\": \" x \"}", "{\"a\":\"ends with backslash \\\\\",\"b\":\" x \"}")]
    [InlineData("\r\n{\r\n\t\"k\" :\r\n  \"v\"\r\n}\r\n", "{\"k\":\"v\"}")]
    [InlineData("{\"café\" : \"Pengembalian — toko  A&B\"}", "{\"café\":\"Pengembalian — toko  A&B\"}")]
    [InlineData("", "")]
    public void Should_remove_only_whitespace_outside_strings_when_minifying(string input, string expected)
    {
        Assert.Equal(expected, JsonMinifier.Minify(input));
        Assert.Equal(Encoding.UTF8.GetBytes(expected), JsonMinifier.Minify(Encoding.UTF8.GetBytes(input)));
    }
}
