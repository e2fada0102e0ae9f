"""The host side of a slot's work directory: a size- and inode-limited tmpfs mounted afresh for every job.

Files are written by root with `O_NOFOLLOW|O_EXCL` relative to a directory fd: the program in the sandbox may
have left symlinks under the names we are about to write, and following one as root would write on the host.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sandbox.base import File, SandboxError

logger = logging.getLogger(__name__)

BASE_DIR = Path("/run/codealign-bwrap")
MS_NOSUID, MS_NODEV, MNT_DETACH = 2, 4, 2  # <sys/mount.h>
INODES_PER_MB = 256  # bounds "create many files" independently of their size

_libc = ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(path: Path, size_mb: int) -> None:
    options = f"size={size_mb}m,nr_inodes={max(1024, size_mb * INODES_PER_MB)},mode=1777".encode()
    if _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"cannot mount the work-dir tmpfs on {path}: {os.strerror(err)}")


def umount(path: Path) -> None:
    if _libc.umount2(str(path).encode(), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"cannot unmount the work-dir tmpfs on {path}: {os.strerror(err)}")


def _check_relative(path: str) -> list[str]:
    parts = Path(path).parts
    if not parts or Path(path).is_absolute() or any(p in ("..", ".") for p in parts):
        raise SandboxError(f"file path {path!r} must be relative to the work dir, without '..'")
    return list(parts)


def _remove(name: str, dir_fd: int) -> None:
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)


def _read_regular(name: str, dir_fd: int) -> bytes:
    """The bytes of a regular file (never through a symlink the program planted)."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SandboxError(f"{name} is not a regular file; cannot seal it")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _open_dir(parts: list[str], root_fd: int, create: bool) -> int:
    fd = os.dup(root_fd)
    for part in parts:
        try:
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:
            if not create:
                os.close(fd)
                raise
            _remove(part, fd)  # a symlink or file planted where we need a directory
            os.mkdir(part, 0o755, dir_fd=fd)
            next_fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = next_fd
    return fd


class SlotDir:
    def __init__(self, name: str, owner_uid: int, mount_tmpfs: bool):
        self.owner_uid, self.mount_tmpfs, self.mounted, self.size_mb = owner_uid, mount_tmpfs, False, 0
        if mount_tmpfs:
            self.path = BASE_DIR / name
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            self.path = Path(tempfile.mkdtemp(prefix=f"codealign-bwrap-{name}-"))
            os.chmod(self.path, 0o1777)

    def reset(self, size_mb: int) -> None:
        """An empty work dir and tmp dir for a new job (one tmpfs: they share the size and inode limits).

        Fast path: the tmpfs stays mounted and the few files a job leaves are unlinked. A job that left many files,
        or a different size, gets a fresh tmpfs (unmount + mount), which is O(1) whatever was left behind."""
        if not (self.mounted and self.size_mb == size_mb and self._wipe_small()):
            self.clear()
            if self.mount_tmpfs:
                _mount_tmpfs(self.path, size_mb)
                self.mounted, self.size_mb = True, size_mb
        for sub in (self.work, self.tmp):
            sub.mkdir(mode=0o1777, exist_ok=True)
            os.chmod(sub, 0o1777)

    def _wipe_small(self, max_entries: int = 64) -> bool:
        """Unlink what the last job left if it is a handful of plain entries; False means: remount instead."""
        root_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for sub in ("work", "tmp"):
                try:
                    sub_fd = os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=root_fd)
                except OSError:
                    return False
                try:
                    names = os.listdir(sub_fd)
                    if len(names) > max_entries:
                        return False
                    for name in names:
                        _remove(name, sub_fd)
                finally:
                    os.close(sub_fd)
            return set(os.listdir(root_fd)) <= {"work", "tmp"}
        finally:
            os.close(root_fd)

    @property
    def work(self) -> Path:
        return self.path / "work"

    @property
    def tmp(self) -> Path:
        return self.path / "tmp"

    def clear(self) -> None:
        if self.mounted:
            umount(self.path)
            self.mounted = False
        elif not self.mount_tmpfs:
            root_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                for name in os.listdir(root_fd):
                    _remove(name, root_fd)
            finally:
                os.close(root_fd)

    def place(self, files: Iterable[File]) -> None:
        """(Re)create `files`: read-only ones owned by root (0444), the rest owned by the slot's uid."""
        root_fd = os.open(self.work, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for f in files:
                parts = _check_relative(f.path)
                dir_fd = _open_dir(parts[:-1], root_fd, create=True)
                try:
                    self._write(f, parts[-1], dir_fd)
                finally:
                    os.close(dir_fd)
        finally:
            os.close(root_fd)

    def _write(self, f: File, name: str, dir_fd: int) -> None:
        _remove(name, dir_fd)
        mode = (0o555 if f.executable else 0o444) if f.readonly else (0o755 if f.executable else 0o644)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
        try:
            view = memoryview(f.content)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
            if not f.readonly and os.geteuid() == 0:
                os.fchown(fd, self.owner_uid, self.owner_uid)
        finally:
            os.close(fd)

    def seal(self, paths: Iterable[str]) -> None:
        """Make files the program built (a binary holding the harness's nonce) root-owned and execute-only: a new
        copy written by root with mode 0111 replaces each, so the program can run it but never read it. Without
        root the copy would be the program's own: nothing is sealed then."""
        if os.geteuid() != 0:
            return
        root_fd = os.open(self.work, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for path in paths:
                parts = _check_relative(path)
                dir_fd = _open_dir(parts[:-1], root_fd, create=False)
                try:
                    content = _read_regular(parts[-1], dir_fd)
                    _remove(parts[-1], dir_fd)
                    fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o111, dir_fd=dir_fd)
                    try:
                        view = memoryview(content)
                        while view:
                            view = view[os.write(fd, view) :]
                        os.fchmod(fd, 0o111)
                    finally:
                        os.close(fd)
                finally:
                    os.close(dir_fd)
        finally:
            os.close(root_fd)

    def hide(self, paths: Iterable[str]) -> None:
        root_fd = os.open(self.work, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for path in paths:
                parts = _check_relative(path)
                try:
                    dir_fd = _open_dir(parts[:-1], root_fd, create=False)
                except OSError:
                    continue
                try:
                    _remove(parts[-1], dir_fd)
                finally:
                    os.close(dir_fd)
        finally:
            os.close(root_fd)

    def close(self) -> None:
        try:
            self.clear()
            self.path.rmdir()
        except (OSError, SandboxError) as exc:
            logger.warning("could not remove work dir %s: %s", self.path, exc)
