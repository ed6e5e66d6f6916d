using System.Collections;

namespace LocalStack.Persistence.SampleEmulator.Sqs;

/// <summary>
/// The messages of one queue in receive order (send order; FIFO sequence order; redriven messages at the end), with an
/// index by send time so that dropping expired messages costs what expires, not the queue's length: the order is
/// not the send-time order (a redriven message keeps its original send time, a restored snapshot keeps its order).
/// Retention is one period per queue, so the oldest sent message is always the next to expire, whatever the period.
/// An index by message id makes a delete, a visibility change and a save's read of one message O(1). Each message
/// gets a rising <see cref="SqsMessage.Order"/> as it is added, which a keyed snapshot stores to rebuild the order.
/// Not thread-safe: used under the queue's lock.
/// </summary>
internal sealed class SqsMessageList : IEnumerable<SqsMessage>
{
    // Compacting the index once it holds more removed entries than live ones keeps it O(live) at O(1) amortized.
    private const int CompactSlack = 64;

    private readonly LinkedList<SqsMessage> _order = new();

    // Every node of _order by SentTimestamp, plus nodes removed since (their List is null): skipped when they surface.
    private readonly PriorityQueue<LinkedListNode<SqsMessage>, long> _bySentTime = new();

    private readonly Dictionary<string, LinkedListNode<SqsMessage>> _byId = new(StringComparer.Ordinal);

    private long _lastOrder;

    public SqsMessageList()
    {
    }

    /// <summary>
    /// A restored list, in the given order. A message keeps its <see cref="SqsMessage.Order"/> when it rises (a keyed
    /// snapshot, sorted by it) and gets the next one otherwise (a JSON snapshot, which has none). A null entry, or a
    /// second message with the same id, is kept for <see cref="SqsStateValidator"/> to refuse, and not indexed.
    /// </summary>
    public SqsMessageList(IEnumerable<SqsMessage> messages)
    {
        foreach (var message in messages)
        {
            var node = _order.AddLast(message);
            if (message is not null)
            {
                message.Order = message.Order > _lastOrder ? message.Order : _lastOrder + 1;
                _lastOrder = message.Order;
                _bySentTime.Enqueue(node, message.SentTimestamp);
                if (message.MessageId is not null)
                {
                    _byId.TryAdd(message.MessageId, node);
                }
            }
        }
    }

    public int Count => _order.Count;

    public LinkedListNode<SqsMessage>? First => _order.First;

    /// <summary>Appends a message (its id not in the list), giving it the next <see cref="SqsMessage.Order"/>.</summary>
    public void Add(SqsMessage message)
    {
        message.Order = ++_lastOrder;
        var node = _order.AddLast(message);
        _byId[message.MessageId] = node;
        _bySentTime.Enqueue(node, message.SentTimestamp);
    }

    /// <summary>The message with this id, or <see langword="null"/>.</summary>
    public LinkedListNode<SqsMessage>? Find(string messageId) => _byId.GetValueOrDefault(messageId);

    public void Remove(LinkedListNode<SqsMessage> node)
    {
        Unindex(node);
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
        _byId.Clear();
    }

    /// <summary>Removes the messages sent at or before <paramref name="cutoff"/> (Unix milliseconds), oldest first, passing each to <paramref name="removed"/>.</summary>
    public void RemoveSentAtOrBefore(long cutoff, Action<SqsMessage> removed)
    {
        while (_bySentTime.TryPeek(out var node, out var sent) && sent <= cutoff)
        {
            _bySentTime.Dequeue();
            if (node.List is not null)
            {
                Unindex(node);
                _order.Remove(node);
                removed(node.Value);
            }
        }
    }

    public IEnumerator<SqsMessage> GetEnumerator() => _order.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Unindex(LinkedListNode<SqsMessage> node)
    {
        if (node.Value?.MessageId is { } id && _byId.TryGetValue(id, out var indexed) && indexed == node)
        {
            _byId.Remove(id);
        }
    }

    private IEnumerable<LinkedListNode<SqsMessage>> Nodes()
    {
        for (var node = _order.First; node is not null; node = node.Next)
        {
            yield return node;
        }
    }
}
