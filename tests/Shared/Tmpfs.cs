using System.Diagnostics;

namespace LocalStack.Persistence.Tests.Reliability;

/// <summary>
/// A small tmpfs mounted for one test, so that "disk full" and "read-only" are the kernel's real ENOSPC and EROFS.
/// Where mounting is not allowed (not root, no CAP_SYS_ADMIN, not Linux) the test is ignored with the reason, never
/// passed; in a CI run as root it fails instead (see <see cref="IgnoreOrFail"/>).
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly string _parent;
    private bool _mounted;

    private Tmpfs(string parent, string path)
    {
        _parent = parent;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/> bytes on a fresh folder, or ignores the test.</summary>
    public static Tmpfs MountOrIgnore(long sizeBytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            IgnoreOrFail("tmpfs mounts need Linux; the disk-full and read-only folder cases run on Linux CI.");
        }

        var parent = Directory.CreateTempSubdirectory("lsp-tmpfs-").FullName;
        var mountPoint = System.IO.Path.Combine(parent, "mnt");
        Directory.CreateDirectory(mountPoint);
        var tmpfs = new Tmpfs(parent, mountPoint);
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", $"size={sizeBytes}", "tmpfs", mountPoint);
        if (exitCode != 0)
        {
            tmpfs.Dispose();
            IgnoreOrFail($"Cannot mount a tmpfs here (mount exited with {exitCode}: {output.Trim()}); this case needs root or CAP_SYS_ADMIN, as on CI.");
        }

        tmpfs._mounted = true;
        return tmpfs;
    }

    /// <summary>
    /// Ignores the test with the reason, except in a CI run as root (<c>CI=true</c>, effective uid 0), where the case is
    /// expected to run: there it fails, so that a broken mount cannot turn the disk-full cases into silent skips.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void IgnoreOrFail(string reason)
    {
        if (Environment.IsPrivilegedProcess && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"{reason} This run is CI as root, where the case must run, so it fails instead of being ignored.");
        }

        Assert.Ignore(reason);
    }

    /// <summary>The file <see cref="Fill"/> writes; delete it to give the space back.</summary>
    public string FillerPath => System.IO.Path.Combine(Path, "filler");

    /// <summary>
    /// Writes <see cref="FillerPath"/> until the kernel says ENOSPC, to the last free block (64 KiB chunks, then 4 KiB),
    /// then gives back <paramref name="freeBytes"/>; fails the test if the file system never fills up.
    /// </summary>
    public void Fill(int freeBytes = 0)
    {
        using var filler = new FileStream(FillerPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        var full = WriteUntilFull(filler, new byte[64 * 1024], limit: 64L * 1024 * 1024);
        Assert.That(full, Is.True, "the tmpfs must run out of space");
        WriteUntilFull(filler, new byte[4096], limit: long.MaxValue);
        filler.SetLength(filler.Length - freeBytes);
    }

    private static bool WriteUntilFull(FileStream filler, byte[] chunk, long limit)
    {
        try
        {
            for (var written = 0L; written < limit; written += chunk.Length)
            {
                filler.Write(chunk);
            }

            return false;
        }
        catch (IOException e) when (e.Message.Contains("No space left on device", StringComparison.Ordinal))
        {
            return true;
        }
    }

    /// <summary>Makes the whole file system read-only (fails while a file on it is open for writing).</summary>
    public void RemountReadOnly() => RunOrFail("mount", "-o", "remount,ro", Path);

    public void RemountReadWrite() => RunOrFail("mount", "-o", "remount,rw", Path);

    /// <summary>Tries to make the file system read-only; returns what <c>mount</c> said when the kernel refuses (EBUSY while a file is open for writing).</summary>
    public (bool Remounted, string Output) TryRemountReadOnly()
    {
        var (exitCode, output) = Run("mount", "-o", "remount,ro", Path);
        return (exitCode == 0, output);
    }

    public void Dispose()
    {
        if (_mounted)
        {
            // Lazy: a handle a failed test left open must not keep the mount (and the next test run) stuck.
            Run("umount", "-l", Path);
            _mounted = false;
        }

        try
        {
            Directory.Delete(_parent, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void RunOrFail(string command, params string[] arguments)
    {
        var (exitCode, output) = Run(command, arguments);
        Assert.That(exitCode, Is.Zero, $"{command} {string.Join(' ', arguments)}: {output}");
    }

    private static (int ExitCode, string Output) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, $"{command} could not be started: {ex.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill();
                return (-1, $"{command} did not finish within {CommandTimeout}");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
