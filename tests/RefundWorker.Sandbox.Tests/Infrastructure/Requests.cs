using System.Text.Json.Nodes;

namespace RefundWorker.Sandbox.Tests.Infrastructure;

/// <summary>Test-data builders for the request bodies of the providers' tables; tweak them with <see cref="With"/>/<see cref="Without"/>.</summary>
internal static class Requests
{
    public static JsonObject NicepayRefund(LedgerEntry original, string partnerRefundNo, string value = "1000.00", string cancelType = "2") => new()
    {
        ["originalReferenceNo"] = original.OriginalReferenceNo,
        ["originalPartnerReferenceNo"] = original.OriginalPartnerReferenceNo,
        ["partnerRefundNo"] = partnerRefundNo,
        ["merchantId"] = original.MerchantId ?? "IONPAYTEST",
        ["externalStoreId"] = "NICEPAY",
        ["refundAmount"] = new JsonObject { ["value"] = value, ["currency"] = "IDR" },
        ["reason"] = "Refund Trans",
        ["additionalInfo"] = new JsonObject { ["cancelType"] = cancelType },
    };

    public static JsonObject BncRefund(LedgerEntry original, string partnerRefundNo, string value = "1000") => new()
    {
        ["additionalInfo"] = new JsonObject { ["channel"] = "POS", ["deviceId"] = "DEV-1" },
        ["originalReferenceNo"] = original.OriginalReferenceNo,
        ["partnerRefundNo"] = partnerRefundNo,
        ["reason"] = "customer request",
        ["refundAmount"] = new JsonObject { ["currency"] = "IDR", ["value"] = value },
    };

    public static JsonObject Cancel(LedgerEntry original, string type = "DYNAMIC") => new()
    {
        ["originalPartnerReferenceNo"] = original.OriginalPartnerReferenceNo,
        ["originalReferenceNo"] = original.OriginalReferenceNo,
        ["reason"] = "cancel reason",
        ["additionalInfo"] = new JsonObject { ["type"] = type },
    };

    public static JsonObject NicepayQuery(LedgerEntry original) => new()
    {
        ["originalReferenceNo"] = original.OriginalReferenceNo,
        ["originalPartnerReferenceNo"] = original.OriginalPartnerReferenceNo,
        ["merchantId"] = original.MerchantId ?? "IONPAYTEST",
        ["externalStoreId"] = "NICEPAY",
        ["serviceCode"] = "47",
    };

    public static JsonObject IfortepayQuery(LedgerEntry original) => new()
    {
        ["originalReferenceNo"] = original.OriginalReferenceNo,
        ["originalPartnerReferenceNo"] = original.OriginalPartnerReferenceNo,
        ["serviceCode"] = "47",
    };

    /// <summary>Sets a dotted path (creating nothing: the parent must exist).</summary>
    public static JsonObject With(this JsonObject body, string path, JsonNode? value)
    {
        var (parent, name) = Locate(body, path);
        parent[name] = value;
        return body;
    }

    public static JsonObject Without(this JsonObject body, string path)
    {
        var (parent, name) = Locate(body, path);
        parent.Remove(name);
        return body;
    }

    private static (JsonObject Parent, string Name) Locate(JsonObject body, string path)
    {
        var parts = path.Split('.');
        var parent = body;
        foreach (var part in parts[..^1])
        {
            parent = (JsonObject)parent[part]!;
        }

        return (parent, parts[^1]);
    }
}
