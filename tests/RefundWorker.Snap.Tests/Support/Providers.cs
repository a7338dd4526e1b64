namespace RefundWorker.Snap.Tests.Support;

internal static class Providers
{
    public static SnapProviderOptions NicepayOptions(string baseUrl = "https://dev.nicepay.test/nicepay") => new()
    {
        Profile = "nicepay",
        BaseUrl = baseUrl,
        ClientId = "IONPAYTEST",
        ClientSecret = "merchant-client-secret-0001",
        PrivateKeyPath = TestData.KeyPath("merchant-private.pem"),
    };

    public static SnapProvider Nicepay(string baseUrl = "https://dev.nicepay.test/nicepay", int timeoutSeconds = 10)
    {
        var options = NicepayOptions(baseUrl);
        options.TimeoutSeconds = timeoutSeconds;
        return SnapProvider.Create("nicepay", options);
    }

    public static SnapProvider IFortePay() => SnapProvider.Create("ifortepay", new SnapProviderOptions
    {
        Profile = "ifortepay",
        BaseUrl = "https://api-stage.ifortepay.test",
        TokenBaseUrl = "https://token-stage.ifortepay.test/auth",
        ClientId = "IFP2024067944",
        ClientSecret = "ifp-secret",
        PrivateKey = TestData.KeyText("merchant-private.pem"),
        TokenSeparator = ":",
    });

    public static SnapProvider Bnc() => SnapProvider.Create("bank", new SnapProviderOptions
    {
        Profile = "bnc",
        BaseUrl = "https://bank.test",
        ClientId = "82150823919040624621823174737537",
        ClientSecret = "bank-secret",
        PrivateKeyPath = TestData.KeyPath("merchant-private-pkcs1.pem"),
        Origin = "www.hostname.com",
        AmountFormat = AmountFormat.Integer,
    });
}
