using System.CommandLine;
using System.Text.Json;
using RefundWorker.Cli;

namespace RefundWorker.Tests.Cli;

/// <summary>
/// `RefundWorker snap …` against the public vectors (TestData/snap, the same as the Snap tests'): what ops and
/// integrators run to settle a signature mismatch must print exactly what the providers compute.
/// </summary>
public sealed class SnapCommandsTests : IDisposable
{
    private static readonly Lazy<JsonDocument> Vectors = new(() => JsonDocument.Parse(File.ReadAllText(DataPath("vectors.json"))));
    private readonly string _dir = Directory.CreateTempSubdirectory("snap-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string DataPath(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", "snap", relative);

    private static JsonElement Vector(string section, int index) => Vectors.Value.RootElement.GetProperty(section)[index];

    private static string S(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private string BodyFile(string body, string name = "body.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, body);
        return path;
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await SnapCommands.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static Dictionary<string, string> Lines(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('\r').Split(": ", 2))
            .Where(p => p.Length == 2 && p[0] != "hint")
            .ToDictionary(p => p[0], p => p[1]);

    public static TheoryData<int> TransactionIndexes => [0, 1, 2];

    public static TheoryData<int> TokenIndexes => [0, 1];

    [Theory]
    [MemberData(nameof(TokenIndexes))]
    public async Task Should_print_vector_signature_when_signing_token(int index)
    {
        var v = Vector("accessToken", index);

        var (exit, output, _) = await RunAsync("sign-token", "--client-id", S(v, "clientKey"), "--timestamp", S(v, "timestamp"), "--private-key", DataPath("keys/merchant-private.pem"));

        Assert.Equal(0, exit);
        var lines = Lines(output);
        Assert.Equal(S(v, "stringToSign"), lines["stringToSign"]);
        Assert.Equal(S(v, "signature"), lines["signature"]);
    }

    [Fact]
    public async Task Should_print_one_json_object_when_signing_token_with_json()
    {
        var v = Vector("accessToken", 0);

        var (exit, output, _) = await RunAsync("sign-token", "--client-id", S(v, "clientKey"), "--timestamp", S(v, "timestamp"), "--private-key", DataPath("keys/merchant-private.pem"), "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(S(v, "signature"), S(json.RootElement, "signature"));
        Assert.Equal(S(v, "stringToSign"), S(json.RootElement, "stringToSign"));
    }

    [Theory]
    [MemberData(nameof(TransactionIndexes))]
    public async Task Should_print_minified_body_string_to_sign_and_signature_when_signing_transaction(int index)
    {
        var v = Vector("transaction", index);

        var (exit, output, _) = await RunAsync(
            "sign", "--method", S(v, "method"), "--path", S(v, "path"), "--access-token", S(v, "accessToken"),
            "--timestamp", S(v, "timestamp"), "--client-secret", S(v, "clientSecret"), "--body-file", BodyFile(S(v, "body")));

        Assert.Equal(0, exit);
        var lines = Lines(output);
        Assert.Equal(S(v, "minifiedBody"), lines["minifiedBody"]);
        Assert.Equal(S(v, "stringToSign"), lines["stringToSign"]);
        Assert.Equal(S(v, "signature"), lines["signature"]);
    }

    [Theory]
    [MemberData(nameof(TransactionIndexes))]
    public async Task Should_print_exactly_the_three_keys_when_signing_transaction_with_json(int index)
    {
        var v = Vector("transaction", index);

        var (exit, output, _) = await RunAsync(
            "sign", "--method", S(v, "method"), "--path", S(v, "path"), "--access-token", S(v, "accessToken"),
            "--timestamp", S(v, "timestamp"), "--client-secret", S(v, "clientSecret"), "--body-file", BodyFile(S(v, "body")), "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(["minifiedBody", "stringToSign", "signature"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(S(v, "minifiedBody"), S(json.RootElement, "minifiedBody"));
        Assert.Equal(S(v, "stringToSign"), S(json.RootElement, "stringToSign"));
        Assert.Equal(S(v, "signature"), S(json.RootElement, "signature"));
    }

    [Theory]
    [MemberData(nameof(TransactionIndexes))]
    public async Task Should_print_asymmetric_vector_when_signing_with_private_key(int index)
    {
        var v = Vector("notification", index);

        var (exit, output, _) = await RunAsync(
            "sign", "--method", S(v, "method"), "--path", S(v, "path"), "--timestamp", S(v, "timestamp"),
            "--private-key", DataPath("keys/provider-private.pem"), "--body-file", BodyFile(S(v, "body")), "--json");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(S(v, "stringToSign"), S(json.RootElement, "stringToSign"));
        Assert.Equal(S(v, "signature"), S(json.RootElement, "signature"));
    }

    [Theory]
    [MemberData(nameof(TokenIndexes))]
    public async Task Should_exit_0_when_token_signature_matches(int index)
    {
        var v = Vector("accessToken", index);

        var (exit, output, _) = await RunAsync("verify", "token", "--client-id", S(v, "clientKey"), "--timestamp", S(v, "timestamp"),
            "--public-key", DataPath("keys/merchant-public.pem"), "--signature", S(v, "signature"));

        Assert.Equal(0, exit);
        Assert.Equal("MATCH", Lines(output)["result"]);
    }

    [Fact]
    public async Task Should_exit_1_and_show_inputs_when_token_signature_does_not_match()
    {
        var v = Vector("accessToken", 0);

        var (exit, output, _) = await RunAsync("verify", "token", "--client-id", S(v, "clientKey"), "--timestamp", "2024-01-22T15:00:02+07:00",
            "--public-key", DataPath("keys/merchant-public.pem"), "--signature", S(v, "signature"));

        Assert.Equal(1, exit);
        var lines = Lines(output);
        Assert.Equal("MISMATCH", lines["result"]);
        Assert.Equal("IONPAYTEST|2024-01-22T15:00:02+07:00", lines["stringToSign"]);
        Assert.Equal(S(v, "signature"), lines["givenSignature"]);
    }

    [Fact]
    public async Task Should_hint_separator_when_token_was_signed_with_colon()
    {
        var v = Vector("accessToken", 1);
        var (_, signed, _) = await RunAsync("sign-token", "--client-id", S(v, "clientKey"), "--timestamp", S(v, "timestamp"),
            "--private-key", DataPath("keys/merchant-private.pem"), "--separator", ":", "--json");
        var colonSignature = S(JsonDocument.Parse(signed).RootElement, "signature");

        var (exit, output, _) = await RunAsync("verify", "token", "--client-id", S(v, "clientKey"), "--timestamp", S(v, "timestamp"),
            "--public-key", DataPath("keys/merchant-public.pem"), "--signature", colonSignature, "--json");

        Assert.Equal(1, exit);
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("match").GetBoolean());
        Assert.Contains("separator ':'", json.RootElement.GetProperty("hints")[0].GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TransactionIndexes))]
    public async Task Should_exit_0_when_transaction_signature_matches(int index)
    {
        var v = Vector("transaction", index);

        var (exit, output, _) = await RunAsync(
            "verify", "transaction", "--method", S(v, "method"), "--path", S(v, "path"), "--access-token", S(v, "accessToken"),
            "--timestamp", S(v, "timestamp"), "--client-secret", S(v, "clientSecret"), "--body-file", BodyFile(S(v, "body")),
            "--signature", S(v, "signature"));

        Assert.Equal(0, exit);
        Assert.Equal("MATCH", Lines(output)["result"]);
    }

    [Fact]
    public async Task Should_exit_1_print_expected_and_given_and_hint_prefix_when_path_carries_nicepay_prefix()
    {
        var v = Vector("transaction", 0);

        var (exit, output, _) = await RunAsync(
            "verify", "transaction", "--method", "POST", "--path", "/nicepay" + S(v, "path"), "--access-token", S(v, "accessToken"),
            "--timestamp", S(v, "timestamp"), "--client-secret", S(v, "clientSecret"), "--body-file", BodyFile(S(v, "body")),
            "--signature", S(v, "signature"));

        Assert.Equal(1, exit);
        var lines = Lines(output);
        Assert.Equal("MISMATCH", lines["result"]);
        Assert.Equal(S(v, "signature"), lines["givenSignature"]);
        Assert.NotEqual(S(v, "signature"), lines["expectedSignature"]);
        Assert.StartsWith("POST:/nicepay/api/", lines["stringToSign"], StringComparison.Ordinal);
        Assert.Contains("hint: the signer signed the path without its first segment: /api/v1.0/qr/qr-mpm-refund", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_hint_missing_minify_when_signer_hashed_pretty_body()
    {
        var v = Vector("transaction", 0);
        var body = S(v, "body");
        // What a signer that forgets to minify sends: the HMAC over the pretty-printed bytes.
        var wrong = RefundWorker.Snap.SnapSignature.SignSymmetric(S(v, "clientSecret"), "POST", S(v, "path"), S(v, "accessToken"), System.Text.Encoding.UTF8.GetBytes(body), S(v, "timestamp"));

        var (exit, output, _) = await RunAsync(
            "verify", "transaction", "--path", S(v, "path"), "--access-token", S(v, "accessToken"), "--timestamp", S(v, "timestamp"),
            "--client-secret", S(v, "clientSecret"), "--body-file", BodyFile(body), "--signature", wrong);

        Assert.Equal(1, exit);
        Assert.Contains("without minifying", output, StringComparison.Ordinal);
        Assert.Equal(S(v, "signature"), Lines(output)["expectedSignature"]);
    }

    [Theory]
    [MemberData(nameof(TransactionIndexes))]
    public async Task Should_verify_asymmetric_vector_when_given_public_key(int index)
    {
        var v = Vector("notification", index);
        string[] common = ["verify", "transaction", "--path", S(v, "path"), "--timestamp", S(v, "timestamp"), "--body-file", BodyFile(S(v, "body")), "--signature", S(v, "signature")];

        var (match, _, _) = await RunAsync([.. common, "--public-key", DataPath("keys/provider-public.pem")]);
        var (mismatch, _, _) = await RunAsync([.. common, "--public-key", DataPath("keys/merchant-public.pem")]);

        Assert.Equal(0, match);
        Assert.Equal(1, mismatch);
    }

    [Fact]
    public async Task Should_exit_2_naming_the_option_when_key_file_is_missing()
    {
        var (exit, _, error) = await RunAsync("sign-token", "--client-id", "X", "--timestamp", "2024-01-22T15:00:01+07:00", "--private-key", Path.Combine(_dir, "missing.pem"));

        Assert.Equal(2, exit);
        Assert.Contains("--private-key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_when_neither_secret_nor_key_is_given()
    {
        var (exit, _, error) = await RunAsync("sign", "--path", "/x", "--body-file", BodyFile("{}"));

        Assert.NotEqual(0, exit);
        Assert.Contains("--client-secret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_ignore_byte_order_mark_when_body_file_has_one()
    {
        var v = Vector("transaction", 1);
        var path = Path.Combine(_dir, "bom.json");
        File.WriteAllText(path, S(v, "body"), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        var (exit, output, _) = await RunAsync(
            "sign", "--path", S(v, "path"), "--access-token", S(v, "accessToken"), "--timestamp", S(v, "timestamp"),
            "--client-secret", S(v, "clientSecret"), "--body-file", path);

        Assert.Equal(0, exit);
        Assert.Equal(S(v, "signature"), Lines(output)["signature"]);
    }
}
