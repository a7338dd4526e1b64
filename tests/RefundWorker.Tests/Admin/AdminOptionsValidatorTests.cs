using RefundWorker.Admin;

namespace RefundWorker.Tests.Admin;

/// <summary><c>Admin:*</c> is checked at start: a key pasted where its hash belongs is refused, naming the key (not its value).</summary>
public sealed class AdminOptionsValidatorTests
{
    private static AdminOptions With(string hash, string role = "operator") => new()
    {
        Operators = new() { ["alice"] = new AdminOperatorOptions { KeyHash = hash, Role = role } },
    };

    [Fact]
    public void Should_accept_a_lowercase_sha256_hash_and_a_known_role()
        => Assert.True(new AdminOptionsValidator().Validate(null, With(AdminAuthenticator.HashKey("k"))).Succeeded);

    [Theory]
    [InlineData("rwk_live_plain_key_pasted_by_mistake")]
    [InlineData("5A5E4C6A4B0C8F3D9E2F1A0B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F1A0B9C8D")]
    public void Should_refuse_a_key_hash_that_is_not_lowercase_hex_sha256_without_echoing_it(string hash)
    {
        var result = new AdminOptionsValidator().Validate(null, With(hash));

        Assert.True(result.Failed);
        Assert.Contains("Admin:Operators:alice:KeyHash", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain(hash, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_an_unknown_role()
        => Assert.Contains("Role", new AdminOptionsValidator().Validate(null, With(AdminAuthenticator.HashKey("k"), "admin")).FailureMessage, StringComparison.Ordinal);

    [Fact]
    public void Should_authenticate_only_the_exact_key()
    {
        var auth = new AdminAuthenticator(Microsoft.Extensions.Options.Options.Create(With(AdminAuthenticator.HashKey("secret-key"))));

        Assert.Equal("alice", auth.Authenticate("Bearer secret-key")?.Name);
        Assert.Null(auth.Authenticate("Bearer secret-key2"));
        Assert.Null(auth.Authenticate("Basic secret-key"));
        Assert.Null(auth.Authenticate(null));
    }
}
