using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace LocalStack.Persistence.Tests.Storage;

/// <summary>
/// A running <c>LocalStack.Persistence.CrashChild</c>: its stdout lines (with <c>ack &lt;i&gt;</c> lines folded into
/// <see cref="LastAcknowledged"/>), its stderr for failure messages, and SIGKILL.
/// </summary>
internal sealed class CrashChildProcess : IDisposable
{
    private static readonly string ChildPath = Path.Combine(AppContext.BaseDirectory, "LocalStack.Persistence.CrashChild.dll");

    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _standardError = new();
    private readonly Task _readingOutput;
    private long _lastAcknowledged;

    private CrashChildProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_standardError)
                {
                    _standardError.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _readingOutput = Task.Run(ReadOutputAsync);
    }

    public int Id => _process.Id;

    /// <summary>The highest <c>i</c> of an <c>ack &lt;i&gt;</c> line read so far; 0 before the first.</summary>
    public long LastAcknowledged => Interlocked.Read(ref _lastAcknowledged);

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes when the child has exited (by itself or killed).</summary>
    public Task Exited => _process.WaitForExitAsync();

    public string StandardError
    {
        get
        {
            lock (_standardError)
            {
                return _standardError.ToString();
            }
        }
    }

    public static CrashChildProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return new CrashChildProcess(Process.Start(start) ?? throw new InvalidOperationException("The crash child did not start."));
    }

    /// <summary>The next stdout line that is not an <c>ack</c>; fails the test when the child exits or is silent too long.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        var line = await TryReadLineAsync(timeout);
        Assert.That(line, Is.Not.Null, $"The crash child printed no line within {timeout}. Its stderr:\n{StandardError}");
        return line!;
    }

    /// <summary>The next stdout line that is not an <c>ack</c>, or null when the child exits or is silent too long.</summary>
    public async Task<string?> TryReadLineAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cancellation.Token);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sends SIGKILL and waits until the process is gone and its output is read to the end.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        await _readingOutput;
    }

    /// <summary>Closes the child's stdin (a graceful stop for <c>hold-lock</c>) and waits for it to exit.</summary>
    public async Task CloseInputAndWaitAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        using var cancellation = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancellation.Token);
        await _readingOutput;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private async Task ReadOutputAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    Interlocked.Exchange(ref _lastAcknowledged, long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
                }
                else
                {
                    _lines.Writer.TryWrite(line);
                }
            }
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }
}
