using Npgsql;
using RefundWorker.Contracts;
using RefundWorker.Operations;
using RefundWorker.Persistence;

namespace RefundWorker.Tests.Worker;

/// <summary>The pure parts of "one bad message never takes its batch with it": cleaning, storage rules, and which
/// PostgreSQL errors are the data's fault.</summary>
public sealed class StorageRulesTests
{
    // Cases by name: test runners carry theory data as text, which NUL and lone surrogates do not survive.
    private static readonly Dictionary<string, (string Value, int? Max, string Expected)> TextCases = new()
    {
        ["plain"] = ("plain", null, "plain"),
        ["NUL"] = ("Insufficient\0Funds", null, "Insufficient Funds"),
        ["tab and line breaks"] = ("tab\there\r\nline", null, "tab here  line"),
        ["lone surrogate"] = ("lone \ud800 surrogate", null, "lone \ufffd surrogate"),
        ["too long"] = ("abcdef", 4, "abcd"),
        // Cutting inside a surrogate pair drops the whole character rather than leave half of it.
        ["cut inside a pair"] = ("ab\ud83d\ude00cd", 3, "ab"),
        ["cut after a pair"] = ("ab\ud83d\ude00cd", 4, "ab\ud83d\ude00"),
    };

    public static TheoryData<string> TextCaseNames => [.. TextCases.Keys];

    [Theory]
    [MemberData(nameof(TextCaseNames))]
    public void Should_make_text_storable_when_it_carries_what_PostgreSQL_refuses(string name)
    {
        var (value, max, expected) = TextCases[name];

        var cleaned = StorageText.Clean(value, max);

        Assert.Equal(expected, cleaned);
        Assert.Equal(-1, StorageText.IndexOfControlCharacter(cleaned));
        Assert.Equal(-1, StorageText.IndexOfUnpairedSurrogate(cleaned));
    }

    [Fact]
    public void Should_find_the_first_control_character_and_unpaired_surrogate_at_every_position_and_length()
    {
        // The searches are vectorised; this checks them against the plain definitions (char.IsControl, a surrogate
        // without its partner) for every character that matters, at every offset of strings long enough to cross
        // the vector widths, with a surrogate pair ahead of the finding so a pair is never reported.
        char[] probes = ['\0', '\u0009', '\u001F', '\u007F', '\u0080', '\u009F', '\ud800', '\udbff', '\udc00', '\udfff'];
        char[] harmless = [' ', '~', '\u00A0', '\u00FF', 'é', '\uD7FF', '\uE000', '\uFFFD'];
        foreach (var length in (int[])[1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 130])
        {
            for (var at = 0; at < length; at++)
            {
                foreach (var probe in probes.Concat(harmless))
                {
                    var chars = Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))).ToArray();
                    if (at >= 2)
                    {
                        chars[0] = '\ud83d';
                        chars[1] = '\ude00';
                    }

                    chars[at] = probe;
                    var text = new string(chars);

                    Assert.Equal(ReferenceIndexOfControl(text), StorageText.IndexOfControlCharacter(text));
                    Assert.Equal(ReferenceIndexOfUnpaired(text), StorageText.IndexOfUnpairedSurrogate(text));
                }
            }
        }

        Assert.Equal(-1, StorageText.IndexOfControlCharacter(null));
        Assert.Equal(-1, StorageText.IndexOfUnpairedSurrogate(null));
        Assert.Equal(-1, StorageText.IndexOfUnpairedSurrogate("\ud83d\ude00"));
        Assert.Equal(2, StorageText.IndexOfUnpairedSurrogate("\ud83d\ude00\ud83d"));
        Assert.Equal(0, StorageText.IndexOfUnpairedSurrogate("\ud83d\ud83d\ude00"));
        Assert.Equal(0, StorageText.IndexOfUnpairedSurrogate("\ude00\ud83d\ude00"));

        static int ReferenceIndexOfControl(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsControl(s[i]))
                {
                    return i;
                }
            }

            return -1;
        }

        static int ReferenceIndexOfUnpaired(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(s[i]))
                {
                    return i;
                }
            }

            return -1;
        }
    }

    [Fact]
    public void Should_return_the_same_instance_when_nothing_needs_cleaning()
    {
        var value = "2007800 Successful";

        Assert.Same(value, StorageText.Clean(value, 100));
    }

    [Fact]
    public void Should_name_each_field_and_rule_when_the_request_cannot_be_recorded()
    {
        var op = new Operation
        {
            Kind = OperationKind.Refund,
            RequestId = Guid.NewGuid(),
            Provider = "bnc",
            MerchantId = new string('M', 65),
            PartnerRefundNo = "BRF\u0001",
            ExternalId = "123",
            SubMerchantId = "bad \ud800",
            Reason = "ok",
            Amount = 1_000_000_000_000_000_000m,
            AdditionalInfo = """{"deviceId":"POS\u0000","channel":"mobile"}""",
        };
        var errors = new List<RejectionError>();

        RequestStorageRules.AddErrors(op, errors);

        Assert.Contains(errors, e => e is { Field: "merchantId", Rule: "maxLength:64" });
        Assert.Contains(errors, e => e is { Field: "partnerRefundNo", Rule: "controlCharacters" });
        Assert.Contains(errors, e => e is { Field: "subMerchantId", Rule: "invalidUnicode" });
        Assert.Contains(errors, e => e is { Field: "refundAmount.value", Rule: "maxValue:999999999999999999.99" });
        Assert.Contains(errors, e => e is { Field: "additionalInfo.deviceId", Rule: "controlCharacters" });
        Assert.DoesNotContain(errors, e => e.Field is "reason" or "externalId" or "additionalInfo.channel");
    }

    [Fact]
    public void Should_not_name_the_columns_limit_again_when_the_providers_shorter_one_is_already_named()
    {
        var op = new Operation { Kind = OperationKind.Refund, Provider = "nicepay", MerchantId = new string('M', 100), ExternalId = "1" };
        var errors = new List<RejectionError> { new("merchantId", "maxLength:10", "merchantId is 100 characters, at most 10 allowed.") };

        RequestStorageRules.AddErrors(op, errors);

        Assert.Single(errors, e => e.Field == "merchantId");
    }

    [Fact]
    public void Should_fit_every_column_when_a_rejected_row_is_made_storable()
    {
        var r = new Operation
        {
            Kind = OperationKind.Refund,
            Provider = new string('p', 100) + "\0",
            MerchantId = "M\0" + new string('M', 100),
            PartnerRefundNo = new string('R', 200),
            ExternalId = new string('9', 100),
            OriginalExternalId = new string('O', 300),
            Currency = "rupiah",
            Reason = new string('r', 5000),
            Amount = 10_000.005m,
            AdditionalInfo = "{" + string.Join(",", Enumerable.Range(0, 50).Select(i => $"\"k{i}\":\"{new string('v', 600)}\\u0000\"")) + "}",
        };

        RequestStorageRules.ForStorage(r);

        Assert.Equal(ColumnSizes.Operations.Provider, r.Provider.Length);
        Assert.Equal("M " + new string('M', 62), r.MerchantId);
        Assert.Equal(ColumnSizes.Operations.PartnerRefundNo, r.PartnerRefundNo!.Length);
        Assert.Equal(ColumnSizes.Operations.ExternalId, r.ExternalId.Length);
        Assert.Equal(ColumnSizes.Operations.OriginalExternalId, r.OriginalExternalId!.Length);
        Assert.Equal("rup", r.Currency);
        Assert.Equal(ColumnSizes.Operations.FreeText, r.Reason!.Length);
        // numeric(20,2) would round 10000.005 silently: the amount is left out rather than stored wrong.
        Assert.Null(r.Amount);
        // 20 cleaned entries of 512 characters are still far above 4,096: left out rather than cut at random.
        Assert.Null(r.AdditionalInfo);
    }

    [Fact]
    public void Should_keep_a_cleaned_additional_info_when_it_fits()
    {
        var r = new Operation { Kind = OperationKind.Cancel, Provider = "ifortepay", ExternalId = "1", AdditionalInfo = """{"type":"DYNAMIC\u0000"}""" };

        RequestStorageRules.ForStorage(r);

        Assert.Equal("""{"type":"DYNAMIC "}""", r.AdditionalInfo);
    }

    [Theory]
    [InlineData("22001", true)] // value too long
    [InlineData("22021", true)] // NUL byte
    [InlineData("22003", true)] // numeric overflow
    [InlineData("22P05", true)] // \u0000 in jsonb
    [InlineData("23514", true)] // CHECK
    [InlineData("23502", true)] // NOT NULL
    [InlineData("54001", true)] // stack depth (deep JSON)
    [InlineData("08006", false)] // connection failure
    [InlineData("57P01", false)] // admin shutdown
    [InlineData("53300", false)] // too many connections
    [InlineData("40001", false)] // serialization failure
    [InlineData("40P01", false)] // deadlock
    public void Should_tell_data_refusals_from_transient_failures(string sqlState, bool dataError)
    {
        var e = new PostgresException("message", "ERROR", "ERROR", sqlState);

        Assert.Equal(dataError, PostgresErrors.IsDataError(e));
        Assert.Equal(dataError, PostgresErrors.IsDataError(new InvalidOperationException("wrapped", e)));
    }

    [Fact]
    public void Should_not_take_a_connection_loss_for_a_data_error()
    {
        Assert.False(PostgresErrors.IsDataError(new NpgsqlException("Exception while reading from stream", new IOException("reset"))));
        Assert.False(PostgresErrors.IsDataError(new TimeoutException()));
    }
}
