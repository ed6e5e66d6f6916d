namespace LocalStack.Persistence;

/// <summary>How far a load or reset got in changing a provider's live state.</summary>
internal enum StateChange
{
    /// <summary>The provider was not called: its state is the one before the operation.</summary>
    None,

    /// <summary>The provider started replacing its state and did not finish: the state may be a mix.</summary>
    Started,

    /// <summary>The provider finished: its state is the operation's complete result (an after-hook may still fail).</summary>
    Completed,
}

/// <summary>Filled in by <see cref="ServiceSnapshotter"/> as a load or reset goes, read by the caller when it fails.</summary>
internal sealed class StateChangeProgress
{
    public StateChange State { get; private set; }

    public static void Mark(StateChangeProgress? progress, StateChange state)
    {
        if (progress is not null)
        {
            progress.State = state;
        }
    }
}
