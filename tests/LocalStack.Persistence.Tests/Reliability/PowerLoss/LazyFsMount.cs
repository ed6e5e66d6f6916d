using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;

namespace LocalStack.Persistence.Tests.Reliability.PowerLoss;

/// <summary>
/// A mounted <c>lazyfs.py</c> (semantics in <c>POWERLOSS.md</c> beside it): the file system that keeps unsynced changes
/// in a volatile layer. <see cref="ArmAsync"/> sets the crash point, <see cref="CrashAsync"/> drops the volatile layer,
/// <see cref="DisposeAsync"/> unmounts (<c>fusermount3 -u</c>). After a crash the same mount, and any later mount on the
/// same backing folder, sees only what survived.
/// </summary>
internal sealed class LazyFsMount : IAsyncDisposable
{
    private const string Python = "/usr/bin/python3"; // Debian's python3-fusepy is installed for the system python only
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly Lazy<Task<string?>> Unavailable = new(ProbeAsync);

    private readonly Process _process;
    private readonly Channel<string> _answers = Channel.CreateUnbounded<string>();
    private volatile TaskCompletionSource<long> _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _standardError = new();
    private readonly Task _readingOutput;
    private bool _unmounted;

    private LazyFsMount(Process process, string backingDirectory, string mountPoint)
    {
        _process = process;
        BackingDirectory = backingDirectory;
        MountPoint = mountPoint;
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

    public static string ScriptPath { get; } = Path.Combine(AppContext.BaseDirectory, "PowerLoss", "lazyfs.py");

    public string BackingDirectory { get; }

    public string MountPoint { get; }

    /// <summary>Completes with the number of counted operations when an armed crash point is reached.</summary>
    public Task<long> Frozen => _frozen.Task;

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

    /// <summary>
    /// Fails the test when the file system cannot be mounted on CI as root (it must run there), ignores it elsewhere
    /// with the reason (a developer machine without <c>/dev/fuse</c> or root).
    /// </summary>
    public static async Task RequireAsync()
    {
        if (await Unavailable.Value is not { } reason)
        {
            return;
        }

        var mustRun = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) && Environment.UserName == "root";
        var message = $"The power-loss file system cannot be mounted here: {reason} (install with `bash eng/install-test-deps.sh`; needs root and /dev/fuse).";
        if (mustRun)
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
    }

    /// <summary>Mounts the file system over <paramref name="backingDirectory"/> (all of it durable) at <paramref name="mountPoint"/>.</summary>
    public static async Task<LazyFsMount> MountAsync(string backingDirectory, string mountPoint)
    {
        Directory.CreateDirectory(backingDirectory);
        Directory.CreateDirectory(mountPoint);
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ScriptPath);
        start.ArgumentList.Add(backingDirectory);
        start.ArgumentList.Add(mountPoint);
        var mount = new LazyFsMount(Process.Start(start) ?? throw new InvalidOperationException("python3 did not start."), backingDirectory, mountPoint);
        var ready = await mount.NextAnswerAsync();
        if (ready != "ready" || !IsMounted(mountPoint))
        {
            await mount.DisposeAsync();
            throw new InvalidOperationException($"lazyfs did not mount at {mountPoint} (answered '{ready}'): {mount.StandardError}");
        }

        return mount;
    }

    /// <summary>Lets <paramref name="operations"/> more recorded operations through; the next one and all after it fail with EIO.</summary>
    public Task ArmAsync(int operations)
    {
        _frozen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        return ExpectAsync($"arm {operations.ToString(CultureInfo.InvariantCulture)}", "armed");
    }

    /// <summary>Every later operation fails with EIO; nothing more reaches the durable model.</summary>
    public Task FreezeAsync() => ExpectAsync("freeze", "stopped");

    /// <summary>
    /// The power cut: freezes, then rewrites the backing folder to what survived — only the durable layer
    /// (<paramref name="keepSome"/> false) or with a seeded choice of what a disk may also have kept — and reboots: the
    /// mount then serves the surviving disk, all of it durable. The writer must have been killed before. Returns the summary.
    /// </summary>
    public Task<string> CrashAsync(bool keepSome, int seed)
        => ExpectAsync(string.Create(CultureInfo.InvariantCulture, $"crash {(keepSome ? "random" : "all")} {seed}"), "crashed");

    public Task<string> StatsAsync() => ExpectAsync("stats", "stats");

    /// <summary>Unmounts (<c>fusermount3 -u</c>, retried while busy) and waits for the file system's process to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_unmounted)
        {
            _unmounted = true;
            for (var attempt = 0; IsMounted(MountPoint); attempt++)
            {
                // Busy for a moment while the kernel releases the files of a process that was just killed.
                var lazy = attempt >= 50;
                await RunAsync("fusermount3", lazy ? ["-u", "-z", MountPoint] : ["-u", MountPoint]);
                if (lazy)
                {
                    break;
                }

                if (IsMounted(MountPoint))
                {
                    await Task.Delay(20);
                }
            }

            _process.StandardInput.Close();
            using var cancellation = new CancellationTokenSource(Timeout);
            try
            {
                await _process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            await _readingOutput;
        }

        _process.Dispose();
    }

    private static bool IsMounted(string mountPoint)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        return File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ') is { Length: > 4 } fields && fields[4] == full);
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        await Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync(), process.WaitForExitAsync());
    }

    private static async Task<string?> ProbeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "not Linux";
        }

        foreach (var needed in new[] { "/dev/fuse", Python, ScriptPath })
        {
            if (!File.Exists(needed))
            {
                return $"{needed} is missing";
            }
        }

        var root = Directory.CreateTempSubdirectory("lsp-lazyfs-probe-").FullName;
        try
        {
            await using var mount = await MountAsync(Path.Combine(root, "backing"), Path.Combine(root, "mnt"));
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            return ex.Message;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private async Task<string> ExpectAsync(string command, string answerPrefix)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var answer = await NextAnswerAsync();
        if (!answer.StartsWith(answerPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"lazyfs answered '{answer}' to '{command}': {StandardError}");
        }

        return answer;
    }

    private async Task<string> NextAnswerAsync()
    {
        using var cancellation = new CancellationTokenSource(Timeout);
        try
        {
            return await _answers.Reader.ReadAsync(cancellation.Token);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            throw new InvalidOperationException($"lazyfs gave no answer within {Timeout} (exited: {_process.HasExited}): {StandardError}", ex);
        }
    }

    private async Task ReadOutputAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                // "frozen <n>" comes unasked when an armed crash point is reached; every other line answers a command.
                if (line.StartsWith("frozen ", StringComparison.Ordinal))
                {
                    _frozen.TrySetResult(long.Parse(line.AsSpan("frozen ".Length), CultureInfo.InvariantCulture));
                }
                else
                {
                    _answers.Writer.TryWrite(line);
                }
            }
        }
        finally
        {
            _answers.Writer.TryComplete();
        }
    }
}
