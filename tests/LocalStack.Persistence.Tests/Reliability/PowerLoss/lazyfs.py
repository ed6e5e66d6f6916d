#!/usr/bin/python3
"""A FUSE file system that forgets what was not synced: the power-loss tests' disk (semantics in POWERLOSS.md).

Usage: /usr/bin/python3 lazyfs.py <backing folder> <mount point>

Every operation passes through to the backing folder (the live view), and is also recorded in a model of what a disk
would hold after a power cut (the durable view):
  - file data becomes durable when that file is fsynced (fsync or fdatasync of any descriptor of it);
  - creations, links, renames and deletions become durable when a folder they touch is fsynced.
Commands on stdin, one per line (answers on stdout):
  arm <n>             let n more counted operations through, then freeze (prints "frozen <n>" when it happens)
  freeze              freeze now: every later operation fails with EIO, nothing more reaches the model ("stopped <n>")
  crash all <seed>    freeze, then rewrite the backing folder to the durable view only
  crash random <seed> freeze, then rewrite it to the durable view plus what a disk may also have kept, chosen with seed;
                      either way the model restarts from the rewritten folder (all durable) and operations flow again
  stats               counted operations, unsynced folder operations, files with unsynced data
A later mount (after fusermount3 -u) sees the backing folder as the surviving disk as well.
"""
import errno
import os
import random
import shutil
import stat
import sys
import threading

from fusepy import FUSE, FuseOSError, Operations

FILE, FOLDER = "f", "d"
SECTOR = 512


class Disk:
    """The durable view and the unsynced changes since the mount, by inode (ids of this model, not the backing's)."""

    def __init__(self, root):
        self.root = root
        self.next_id = 0
        self.kind = {}        # id -> FILE | FOLDER
        self.entries = {}     # folder id -> {name: id}   (durable)
        self.data = {}        # file id -> bytearray       (durable)
        self.log = []         # unsynced folder operations, in order: [op, folders touched, persisted]
        self.pending = {}     # file id -> unsynced data operations: ("w", offset, bytes) | ("t", length)
        self.by_backing = {}  # backing st_ino -> id, for names that exist in the live view
        self.root_id = self._scan(root)

    def new_id(self, kind):
        self.next_id += 1
        self.kind[self.next_id] = kind
        if kind == FOLDER:
            self.entries.setdefault(self.next_id, {})
        return self.next_id

    def _scan(self, path):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            node = self.new_id(FOLDER)
            self.by_backing[st.st_ino] = node
            for name in sorted(os.listdir(path)):
                self.entries[node][name] = self._scan(os.path.join(path, name))
            return node
        if not stat.S_ISREG(st.st_mode):
            raise SystemExit(f"lazyfs: only files and folders are supported: {path}")
        if st.st_ino in self.by_backing:  # a hard link
            return self.by_backing[st.st_ino]
        node = self.new_id(FILE)
        self.by_backing[st.st_ino] = node
        with open(path, "rb") as f:
            self.data[node] = bytearray(f.read())
        return node

    # --- recording -----------------------------------------------------------------------------------------------

    def folder_op(self, op, *folders):
        self.log.append([op, set(folders), False])

    def data_op(self, node, op):
        self.pending.setdefault(node, []).append(op)

    def sync_file(self, node, content):
        self.data[node] = bytearray(content)
        self.pending.pop(node, None)

    def sync_folder(self, folder):
        for entry in self.log:
            if not entry[2] and folder in entry[1]:
                entry[2] = True
                self._apply(entry[0])
        self.log = [e for e in self.log if not e[2]]

    def _apply(self, op):
        kind = op[0]
        if kind == "add":          # ("add", folder, name, id): create, mkdir, link
            _, folder, name, node = op
            self.entries.setdefault(folder, {})[name] = node
            if self.kind[node] == FILE:
                self.data.setdefault(node, bytearray())
        elif kind == "remove":     # ("remove", folder, name, id): unlink, rmdir
            _, folder, name, node = op
            if self.entries.get(folder, {}).get(name) == node:
                del self.entries[folder][name]
        elif kind == "rename":     # ("rename", from folder, from name, to folder, to name, id): atomic, both halves
            _, f1, n1, f2, n2, node = op
            if self.entries.get(f1, {}).get(n1) == node:
                del self.entries[f1][n1]
            self.entries.setdefault(f2, {})[n2] = node
            if self.kind[node] == FILE:
                self.data.setdefault(node, bytearray())

    # --- the crash -----------------------------------------------------------------------------------------------

    def crash(self, mode, seed):
        """Drops the unsynced changes (all, or all but what a disk may have kept) and returns a one-line summary."""
        rng = random.Random(seed)
        # Half of the random crashes keep every unsynced folder operation (the journal committed just before the cut),
        # the others a uniformly drawn prefix. Per file, half keep none of its unsynced writes (they never left the page
        # cache), the others a uniformly drawn prefix: all metadata and no data is ext4's zero-length-file case.
        kept_ops = (len(self.log) if rng.random() < 0.5 else rng.randint(0, len(self.log))) if mode == "random" else 0
        for entry in self.log[:kept_ops]:
            self._apply(entry[0])
        kept_writes, dropped_writes, torn = 0, 0, 0
        for node, ops in sorted(self.pending.items()):
            keep = (0 if rng.random() < 0.5 else rng.randint(0, len(ops))) if mode == "random" else 0
            content = self.data.setdefault(node, bytearray())
            for op in ops[:keep]:
                apply_data(content, op)
            if keep < len(ops) and mode == "random" and ops[keep][0] == "w" and rng.random() < 0.5:
                # The next write reached the disk in part: whole sectors from its start.
                _, offset, buf = ops[keep]
                cut = (rng.randint(0, len(buf)) // SECTOR) * SECTOR
                if cut > 0:
                    apply_data(content, ("w", offset, buf[:cut]))
                    torn += 1
            kept_writes += keep
            dropped_writes += len(ops) - keep
        summary = (f"kept {kept_ops} of {len(self.log)} unsynced folder operations, {kept_writes} of "
                   f"{kept_writes + dropped_writes} unsynced writes, {torn} torn")
        self.log, self.pending = [], {}
        self._rewrite_backing()
        return summary

    def _rewrite_backing(self):
        for name in os.listdir(self.root):
            path = os.path.join(self.root, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        written = {}

        def write(folder, path):
            for name, node in sorted(self.entries.get(folder, {}).items()):
                child = os.path.join(path, name)
                if self.kind[node] == FOLDER:
                    if node in written:   # a folder reachable twice (a rename kept in one place only): first wins
                        continue
                    written[node] = child
                    os.mkdir(child)
                    write(node, child)
                elif node in written:
                    os.link(written[node], child)
                else:
                    with open(child, "wb") as f:
                        f.write(self.data.get(node, b""))
                    written[node] = child

        write(self.root_id, self.root)
        os.sync()


def apply_data(content, op):
    if op[0] == "t":
        del content[op[1]:]
        content.extend(b"\0" * (op[1] - len(content)))
    else:
        _, offset, buf = op
        if offset > len(content):
            content.extend(b"\0" * (offset - len(content)))
        content[offset:offset + len(buf)] = buf


class LazyFs(Operations):
    # Operations on a file that is open but no longer has a name (hard_remove) get a null path.
    flag_nullpath_ok = True
    use_ns = True

    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.disk = Disk(self.root)
        self._lock = threading.Lock()
        self.frozen = False
        self.budget = None      # counted operations still allowed; None: unlimited
        self.counted = 0
        self.files = {}         # fh -> id

    # --- helpers -------------------------------------------------------------------------------------------------

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def _split(self, path):
        parent, name = os.path.split(path.rstrip("/") or "/")
        return self._node(parent), name

    def _node(self, path):
        st = os.lstat(self._full(path))
        return self.disk.by_backing[st.st_ino]

    def _count(self):
        """Called under the lock by each operation the model records: freezes once the armed budget is spent."""
        if self.frozen:
            raise FuseOSError(errno.EIO)
        if self.budget is not None:
            if self.budget == 0:
                self.frozen = True
                say(f"frozen {self.counted}")
                raise FuseOSError(errno.EIO)
            self.budget -= 1
        self.counted += 1

    def _check(self):
        if self.frozen:
            raise FuseOSError(errno.EIO)

    def _forget_if_last_link(self, full):
        """Before a name goes from the live view: the backing inode number may be reused once its last link is gone."""
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return None
        node = self.disk.by_backing.get(st.st_ino)
        if st.st_nlink <= 1 or stat.S_ISDIR(st.st_mode):
            self.disk.by_backing.pop(st.st_ino, None)
        return node

    # --- control -------------------------------------------------------------------------------------------------

    def command(self, line):
        words = line.split()
        with self._lock:
            if words[0] == "arm":
                self.budget = int(words[1])
                return "armed"
            if words[0] == "freeze":
                self.frozen = True
                return f"stopped {self.counted}"
            if words[0] == "crash":
                self.frozen = True
                summary = self.disk.crash(words[1], int(words[2]))
                # The reboot: what survived is the new durable state; the writer was killed before, so no file of it is
                # open. With the kernel's caches off (mount options below) the next reader sees only what survived.
                self.disk = Disk(self.root)
                self.frozen, self.budget, self.counted = False, None, 0
                return "crashed " + summary
            if words[0] == "stats":
                return (f"stats counted={self.counted} unsynced_folder_ops={len(self.disk.log)} "
                        f"files_with_unsynced_data={len(self.disk.pending)}")
        return f"error unknown command {line!r}"

    # --- reads (not recorded) ------------------------------------------------------------------------------------

    def init(self, path):
        say("ready")

    def getattr(self, path, fh=None):
        with self._lock:
            self._check()
            st = os.fstat(fh) if fh is not None and path is None else os.lstat(self._full(path))
        return {"st_mode": st.st_mode, "st_nlink": st.st_nlink, "st_size": st.st_size, "st_uid": st.st_uid,
                "st_gid": st.st_gid, "st_atime": st.st_atime_ns, "st_mtime": st.st_mtime_ns, "st_ctime": st.st_ctime_ns}

    def access(self, path, amode):
        with self._lock:
            self._check()
            if not os.access(self._full(path), amode):
                raise FuseOSError(errno.EACCES)

    def readdir(self, path, fh):
        with self._lock:
            self._check()
            return [".", ".."] + os.listdir(self._full(path))

    def readlink(self, path):
        raise FuseOSError(errno.EINVAL)

    def statfs(self, path):
        st = os.statvfs(self.root)
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree",
                                            "f_files", "f_flag", "f_frsize", "f_namemax")}

    def open(self, path, flags):
        with self._lock:
            self._check()
            node = self._node(path)
            fh = os.open(self._full(path), flags & ~(os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_TRUNC))
            self.files[fh] = node
            return fh

    def read(self, path, size, offset, fh):
        with self._lock:
            self._check()
            return os.pread(fh, size, offset)

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        with self._lock:
            self.files.pop(fh, None)
            os.close(fh)

    def opendir(self, path):
        return 0

    def releasedir(self, path, fh):
        return 0

    def chmod(self, path, mode):
        with self._lock:
            self._check()
            os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        with self._lock:
            self._check()
            os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        # Times are not part of the model (nothing in the store depends on them surviving a crash).
        with self._lock:
            self._check()
            if times is None:
                os.utime(self._full(path))
            else:
                os.utime(self._full(path), ns=times)

    # --- recorded operations -------------------------------------------------------------------------------------

    def create(self, path, mode, fi=None):
        with self._lock:
            self._count()
            parent, name = self._split(path)
            full = self._full(path)
            fh = os.open(full, os.O_RDWR | os.O_CREAT | os.O_EXCL, mode)
            node = self.disk.new_id(FILE)
            self.disk.by_backing[os.fstat(fh).st_ino] = node
            self.disk.folder_op(("add", parent, name, node), parent)
            self.files[fh] = node
            return fh

    def mkdir(self, path, mode):
        with self._lock:
            self._count()
            parent, name = self._split(path)
            os.mkdir(self._full(path), mode)
            node = self.disk.new_id(FOLDER)
            self.disk.by_backing[os.lstat(self._full(path)).st_ino] = node
            self.disk.folder_op(("add", parent, name, node), parent)

    def link(self, target, source):
        # fusepy: link(new name, existing name)
        with self._lock:
            self._count()
            node = self._node(source)
            parent, name = self._split(target)
            os.link(self._full(source), self._full(target))
            self.disk.folder_op(("add", parent, name, node), parent)

    def symlink(self, target, source):
        raise FuseOSError(errno.EPERM)

    def mknod(self, path, mode, dev):
        raise FuseOSError(errno.EPERM)

    def unlink(self, path):
        with self._lock:
            self._count()
            parent, name = self._split(path)
            full = self._full(path)
            node = self._forget_if_last_link(full)
            os.unlink(full)
            self.disk.folder_op(("remove", parent, name, node), parent)

    def rmdir(self, path):
        with self._lock:
            self._count()
            parent, name = self._split(path)
            full = self._full(path)
            node = self.disk.by_backing[os.lstat(full).st_ino]
            os.rmdir(full)
            self._forget_folder(node)
            self.disk.folder_op(("remove", parent, name, node), parent)

    def _forget_folder(self, node):
        for ino, n in list(self.disk.by_backing.items()):
            if n == node:
                del self.disk.by_backing[ino]

    def rename(self, old, new):
        with self._lock:
            self._count()
            f1, n1 = self._split(old)
            f2, n2 = self._split(new)
            node = self._node(old)
            old_full, new_full = self._full(old), self._full(new)
            if os.path.lexists(new_full) and os.lstat(new_full).st_ino != os.lstat(old_full).st_ino:
                self._forget_if_last_link(new_full)
            os.rename(old_full, new_full)
            self.disk.folder_op(("rename", f1, n1, f2, n2, node), f1, f2)

    def truncate(self, path, length, fh=None):
        with self._lock:
            self._count()
            if fh is not None:
                node = self.files[fh]
                os.ftruncate(fh, length)
            else:
                node = self._node(path)
                os.truncate(self._full(path), length)
            self.disk.data_op(node, ("t", length))

    def write(self, path, data, offset, fh):
        with self._lock:
            self._count()
            written = os.pwrite(fh, data, offset)
            self.disk.data_op(self.files[fh], ("w", offset, bytes(data[:written])))
            return written

    def fsync(self, path, datasync, fh):
        with self._lock:
            self._count()
            node = self.files[fh]
            size = os.fstat(fh).st_size
            self.disk.sync_file(node, os.pread(fh, size, 0) if size else b"")

    def fsyncdir(self, path, datasync, fh):
        with self._lock:
            self._count()
            self.disk.sync_folder(self._node(path))


_stdout = threading.Lock()


def say(line):
    with _stdout:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: lazyfs.py <backing folder> <mount point>\n")
        return 2
    fs = LazyFs(sys.argv[1])

    def control():
        for line in sys.stdin:
            if line.strip():
                say(fs.command(line))

    threading.Thread(target=control, daemon=True).start()
    # Single-threaded: operations reach the model in the order the kernel sent them. hard_remove: an unlinked open
    # file is gone at once (no .fuse_hidden names). big_writes: up to 128 KiB per write.
    # No attribute, name or negative-lookup caching in the kernel (and libfuse's default: no page cache kept across
    # opens), so that after a crash the same mount serves the surviving disk.
    FUSE(fs, sys.argv[2], foreground=True, nothreads=True, hard_remove=True, big_writes=True, max_write=131072,
         entry_timeout=0, attr_timeout=0, negative_timeout=0, fsname="lazyfs", subtype="lazyfs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
