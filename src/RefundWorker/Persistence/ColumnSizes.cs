namespace RefundWorker.Persistence;

/// <summary>
/// The sizes of the bounded columns, in one place: the entity configurations declare them and the accept-time
/// validation and sanitizing check against them, so what is validated is what PostgreSQL can store. The migrations
/// are written by hand with the same numbers (a persistence test compares the migrated schema with the model).
/// </summary>
public static class ColumnSizes
{
    /// <summary><c>operations</c>.</summary>
    public static class Operations
    {
        public const int Kind = 16;
        public const int State = 16;
        public const int Provider = 64;
        public const int MerchantId = 64;
        public const int PartnerRefundNo = 64;
        public const int ExternalId = 64;
        public const int OriginalReferenceNo = 128;
        public const int OriginalPartnerReferenceNo = 128;
        public const int OriginalExternalId = 128;
        public const int ExternalStoreId = 128;
        public const int SubMerchantId = 128;
        public const int Currency = 3;
        public const int Fingerprint = 64;
        public const int LeaseOwner = 128;
        public const int ResponseCode = 16;
        public const int ErrorCode = 64;

        /// <summary>A W3C traceparent of version 00 is exactly 55 characters; other versions are not stored.</summary>
        public const int TraceParent = 55;

        /// <summary><c>amount numeric(20,2)</c>: 18 digits before the point, 2 after.</summary>
        public const int AmountPrecision = 20;

        public const int AmountScale = 2;

        /// <summary>The largest amount <c>numeric(20,2)</c> holds.</summary>
        public const decimal AmountMax = 999_999_999_999_999_999.99m;

        /// <summary>
        /// <c>reason</c>, <c>outcome_message</c> and <c>reference_no</c> are <c>text</c>; the worker still keeps what
        /// it writes there to this many characters (a provider's message or a rejected reason of megabytes is noise).
        /// </summary>
        public const int FreeText = 1000;
    }

    /// <summary><c>attempts</c>.</summary>
    public static class Attempts
    {
        public const int Action = 16;
        public const int Provider = 64;
        public const int ExternalId = 64;
        public const int ResponseCode = 16;
        public const int Classification = 32;
        public const int TransportFailure = 32;
        public const int TraceId = 32;
        public const int Detail = 256;
    }
}
