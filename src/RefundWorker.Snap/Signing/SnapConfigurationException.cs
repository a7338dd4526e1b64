namespace RefundWorker.Snap;

/// <summary>
/// A SNAP setting is missing or wrong. The message names the setting (e.g. <c>Snap:Providers:nicepay:PrivateKey</c>)
/// and never contains key material or secrets.
/// </summary>
public sealed class SnapConfigurationException : Exception
{
    public SnapConfigurationException()
    {
    }

    public SnapConfigurationException(string message)
        : base(message)
    {
    }

    public SnapConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The configuration key at fault, when known.</summary>
    public string? SettingName { get; init; }
}
