using System.Net.Http;
using System.Net.Sockets;

namespace RefundWorker.Snap;

/// <summary>Reads exceptions from <see cref="HttpClient"/> as <see cref="TransportFailure"/>s.</summary>
internal static class SnapTransport
{
    /// <summary>
    /// Classifies <paramref name="exception"/>. Returns false when it is not a transport failure, in particular
    /// when the caller's own <paramref name="callerToken"/> was cancelled (that is not the provider's doing).
    /// </summary>
    /// <param name="exception">What <see cref="HttpClient.SendAsync(HttpRequestMessage, CancellationToken)"/> threw.</param>
    /// <param name="timedOut">Whether the per-call timeout fired.</param>
    /// <param name="callerToken">The caller's token.</param>
    /// <param name="failure">The failure.</param>
    public static bool TryClassify(Exception exception, bool timedOut, CancellationToken callerToken, out TransportFailure failure)
    {
        failure = TransportFailure.InvalidResponse;
        switch (exception)
        {
            case OperationCanceledException when callerToken.IsCancellationRequested:
                return false;

            case OperationCanceledException when timedOut:
                failure = TransportFailure.Timeout;
                return true;

            // SocketsHttpHandler.ConnectTimeout expired: cancelled, but neither by the caller nor by our timeout.
            // No connection means nothing was sent.
            case OperationCanceledException oce when oce.InnerException is TimeoutException:
                failure = TransportFailure.ConnectFailed;
                return true;

            case OperationCanceledException:
                failure = TransportFailure.Timeout;
                return true;

            case HttpRequestException http:
                failure = http.HttpRequestError switch
                {
                    // These all happen before the first byte of the request leaves: safe to send again.
                    HttpRequestError.ConnectionError
                        or HttpRequestError.NameResolutionError
                        or HttpRequestError.SecureConnectionError
                        or HttpRequestError.ProxyTunnelError => TransportFailure.ConnectFailed,
                    HttpRequestError.InvalidResponse
                        or HttpRequestError.ConfigurationLimitExceeded
                        or HttpRequestError.VersionNegotiationError
                        or HttpRequestError.HttpProtocolError => TransportFailure.InvalidResponse,
                    _ when IsRefused(http) => TransportFailure.ConnectFailed,
                    // ResponseEnded, an IOException mid-response, a reset: the request may have been processed.
                    _ => TransportFailure.ResetAfterSend,
                };
                return true;

            case IOException:
                failure = TransportFailure.ResetAfterSend;
                return true;

            default:
                return false;
        }
    }

    private static bool IsRefused(Exception exception)
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return true;
            }
        }

        return false;
    }
}
