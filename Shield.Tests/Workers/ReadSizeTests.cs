using Shield.Workers.Pool;

namespace Shield.Tests.Workers;

/// <summary>
/// How many entries a consumer asks for: more only while its chunks take microseconds, so that no consumer holds a
/// large batch of slow chunks that other consumers could be running.
/// </summary>
public sealed class ReadSizeTests
{
    [Fact]
    public void Reads_stay_at_the_batch_size_while_chunks_take_real_time()
    {
        var size = new ReadSize(batchSize: 10, maxBatchSize: 100);

        size.Observe(chunksRun: 10, TimeSpan.FromMilliseconds(50));   // 5 ms a chunk, like a quick model call
        Assert.Equal(10, size.Next);
        size.Observe(chunksRun: 10, TimeSpan.FromSeconds(30));
        Assert.Equal(10, size.Next);
    }

    [Fact]
    public void Reads_grow_by_doubling_while_chunks_take_microseconds_and_stop_at_the_maximum()
    {
        var size = new ReadSize(batchSize: 10, maxBatchSize: 100);

        var sizes = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            size.Observe(size.Next, TimeSpan.FromMicroseconds(20) * size.Next);
            sizes.Add(size.Next);
        }

        Assert.Equal([20, 40, 80, 100, 100], sizes);
    }

    [Fact]
    public void One_slow_batch_brings_reads_straight_back_down()
    {
        var size = new ReadSize(batchSize: 10, maxBatchSize: 100);
        for (var i = 0; i < 5; i++) size.Observe(size.Next, TimeSpan.FromMicroseconds(20) * size.Next);

        size.Observe(chunksRun: 100, TimeSpan.FromSeconds(2));   // 20 ms a chunk

        Assert.Equal(10, size.Next);
    }

    [Fact]
    public void Skipped_chunks_say_nothing_about_the_next_ones()
    {
        var size = new ReadSize(batchSize: 10, maxBatchSize: 100);

        size.Observe(chunksRun: 0, TimeSpan.FromMicroseconds(50));   // a cancelled job's chunks, acknowledged unrun

        Assert.Equal(10, size.Next);
    }

    [Fact]
    public void A_maximum_at_or_below_the_batch_size_keeps_every_read_at_the_batch_size()
    {
        var size = new ReadSize(batchSize: 10, maxBatchSize: 5);

        size.Observe(chunksRun: 10, TimeSpan.FromMicroseconds(100));

        Assert.Equal(10, size.Next);
    }
}
