using System.Collections;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// The messages of one queue in receive order (send order; FIFO sequence order; redriven messages at the end), with an
/// index by send time so that dropping expired messages costs what expires, not the queue's length: the order is
/// not the send-time order (a redriven message keeps its original send time, a restored snapshot keeps its order).
/// Retention is one period per queue, so the oldest sent message is always the next to expire, whatever the period.
/// Not thread-safe: used under the queue's lock.
/// </summary>
internal sealed class SqsMessageList : IEnumerable<SqsMessage>
{
    // Compacting the index once it holds more removed entries than live ones keeps it O(live) at O(1) amortized.
    private const int CompactSlack = 64;

    private readonly LinkedList<SqsMessage> _order = new();

    // Every node of _order by SentTimestamp, plus nodes removed since (their List is null): skipped when they surface.
    private readonly PriorityQueue<LinkedListNode<SqsMessage>, long> _bySentTime = new();

    public SqsMessageList()
    {
    }

    /// <summary>A restored list. A null entry is kept for <see cref="SqsStateValidator"/> to refuse, and not indexed.</summary>
    public SqsMessageList(IEnumerable<SqsMessage> messages)
    {
        foreach (var message in messages)
        {
            var node = _order.AddLast(message);
            if (message is not null)
            {
                _bySentTime.Enqueue(node, message.SentTimestamp);
            }
        }
    }

    public int Count => _order.Count;

    public LinkedListNode<SqsMessage>? First => _order.First;

    public void Add(SqsMessage message) => _bySentTime.Enqueue(_order.AddLast(message), message.SentTimestamp);

    /// <summary>The first message with this id, or <see langword="null"/>.</summary>
    public LinkedListNode<SqsMessage>? Find(string messageId)
    {
        for (var node = _order.First; node is not null; node = node.Next)
        {
            if (node.Value.MessageId == messageId)
            {
                return node;
            }
        }

        return null;
    }

    public void Remove(LinkedListNode<SqsMessage> node)
    {
        _order.Remove(node);
        if (_bySentTime.Count > (2 * _order.Count) + CompactSlack)
        {
            _bySentTime.Clear();
            _bySentTime.EnqueueRange(Nodes().Select(n => (n, n.Value.SentTimestamp)));
        }
    }

    public void Clear()
    {
        _order.Clear();
        _bySentTime.Clear();
    }

    /// <summary>Removes the messages sent at or before <paramref name="cutoff"/> (Unix milliseconds), oldest first.</summary>
    public void RemoveSentAtOrBefore(long cutoff)
    {
        while (_bySentTime.TryPeek(out var node, out var sent) && sent <= cutoff)
        {
            _bySentTime.Dequeue();
            if (node.List is not null)
            {
                _order.Remove(node);
            }
        }
    }

    public IEnumerator<SqsMessage> GetEnumerator() => _order.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IEnumerable<LinkedListNode<SqsMessage>> Nodes()
    {
        for (var node = _order.First; node is not null; node = node.Next)
        {
            yield return node;
        }
    }
}
