namespace RefundWorker.Snap; public static class Placeholder;
