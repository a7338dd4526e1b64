using RefundWorker.Operations;

namespace RefundWorker.Tests.Worker;

/// <summary>
/// The one-slot wake-up behind the outbox, scheduler and gate loops: many sets before a wait wake it once, a set
/// during a wait wakes it, and setting a set signal is not an exception (it used to be one per commit under load).
/// </summary>
public sealed class WakeSignalTests
{
    [Fact]
    public async Task Should_wake_once_for_any_number_of_sets_before_the_wait()
    {
        using var signal = new WakeSignal();
        for (var i = 0; i < 1_000; i++)
        {
            signal.Set();
        }

        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));
    }

    [Fact]
    public async Task Should_wake_a_waiting_loop()
    {
        using var signal = new WakeSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        await Task.Delay(20);
        Assert.False(waiting.IsCompleted);

        signal.Set();

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Should_not_throw_when_set_again_or_after_its_loop_ended()
    {
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is SemaphoreFullException)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        var signal = new WakeSignal();
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            signal.Set();
            signal.Set();
            signal.Set();
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        signal.Dispose();
        signal.Set();
        Assert.Equal(0, thrown);
    }
}
