namespace RefundWorker.Contracts; public sealed record Placeholder;
