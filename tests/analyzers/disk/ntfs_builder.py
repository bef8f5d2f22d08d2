"""Build small NTFS images for the tests without mounting anything.

``mkntfs`` makes the empty volume; folders and files are created through
libntfs-3g (the library behind ntfs-3g, called with ctypes) so no FUSE mount and no
privileges are needed. ``set_si_times`` rewrites a file's $STANDARD_INFORMATION times
the way a timestomping tool does, leaving its $FILE_NAME times as they were.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import struct
import subprocess
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

S_IFDIR = 0o040000
S_IFREG = 0o100000
AT_DATA = 0x80
_NTFS_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def available() -> str | None:
    """Why NTFS images cannot be built here, or None when they can."""
    if shutil.which("mkntfs") is None:
        return "mkntfs not installed (Debian package ntfs-3g; see tools/system-deps.sh)"
    if _library_name() is None:
        return "libntfs-3g not installed (Debian package ntfs-3g)"
    return None


def _library_name() -> str | None:
    name = ctypes.util.find_library("ntfs-3g")
    if name is None:
        for candidate in ("libntfs-3g.so.89", "libntfs-3g.so.88", "libntfs-3g.so"):
            try:
                ctypes.CDLL(candidate)
            except OSError:
                continue
            return candidate
    return name


def _lib() -> ctypes.CDLL:
    name = _library_name()
    assert name is not None
    lib = ctypes.CDLL(name)
    lib.ntfs_mount.restype = ctypes.c_void_p
    lib.ntfs_mount.argtypes = [ctypes.c_char_p, ctypes.c_ulong]
    lib.ntfs_umount.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.ntfs_pathname_to_inode.restype = ctypes.c_void_p
    lib.ntfs_pathname_to_inode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p]
    lib.ntfs_create.restype = ctypes.c_void_p
    lib.ntfs_create.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_char_p,
        ctypes.c_uint8,
        ctypes.c_uint32,
    ]
    lib.ntfs_inode_close.argtypes = [ctypes.c_void_p]
    lib.ntfs_attr_open.restype = ctypes.c_void_p
    lib.ntfs_attr_open.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_void_p,
        ctypes.c_uint32,
    ]
    lib.ntfs_attr_pwrite.restype = ctypes.c_int64
    lib.ntfs_attr_pwrite.argtypes = [
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_char_p,
    ]
    lib.ntfs_attr_close.argtypes = [ctypes.c_void_p]
    lib.ntfs_inode_set_times.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_int,
    ]
    return lib


def _filetime(when: datetime) -> int:
    return int((when - _NTFS_EPOCH).total_seconds() * 10_000_000)


class NtfsImage:
    """An NTFS volume in a file, filled through libntfs-3g; use as a context manager."""

    def __init__(self, path: Path, size_mb: int = 16) -> None:
        self.path = path
        with path.open("wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        subprocess.run(
            ["mkntfs", "-q", "-F", "-Q", "-L", "TESTVOL", str(path)],
            check=True,
            capture_output=True,
        )
        self._lib = _lib()
        self._vol = self._lib.ntfs_mount(str(path).encode(), 0)
        if not self._vol:
            raise OSError(f"libntfs-3g could not open {path}")

    def __enter__(self) -> NtfsImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._vol:
            self._lib.ntfs_umount(self._vol, 0)
            self._vol = None

    def _inode(self, path: str) -> int:
        ni = self._lib.ntfs_pathname_to_inode(self._vol, None, path.encode())
        if not ni:
            raise FileNotFoundError(path)
        return int(ni)

    def _create(self, parent: str, name: str, mode: int) -> int:
        dir_ni = self._inode(parent)
        encoded = name.encode("utf-16-le")
        ni = self._lib.ntfs_create(dir_ni, 0, encoded, len(encoded) // 2, mode)
        self._lib.ntfs_inode_close(dir_ni)
        if not ni:
            raise OSError(f"could not create {parent}/{name}")
        return int(ni)

    def mkdirs(self, path: str) -> None:
        current = "/"
        for part in PurePosixPath(path).parts[1:]:
            child = current.rstrip("/") + "/" + part
            ni = self._lib.ntfs_pathname_to_inode(self._vol, None, child.encode())
            if ni:
                self._lib.ntfs_inode_close(ni)
            else:
                self._lib.ntfs_inode_close(self._create(current, part, S_IFDIR))
            current = child

    def write(self, path: str, data: bytes) -> None:
        posix = PurePosixPath(path)
        self.mkdirs(str(posix.parent))
        ni = self._create(str(posix.parent), posix.name, S_IFREG)
        try:
            if data:
                na = self._lib.ntfs_attr_open(ni, AT_DATA, None, 0)
                if not na:
                    raise OSError(f"could not open the data of {path}")
                written = self._lib.ntfs_attr_pwrite(na, 0, len(data), data)
                self._lib.ntfs_attr_close(na)
                if written != len(data):
                    raise OSError(f"short write on {path}")
        finally:
            self._lib.ntfs_inode_close(ni)

    def set_times(self, path: str, when: datetime) -> None:
        """Set the four times of a file (libntfs-3g sets $SI and $FN alike)."""
        ni = self._inode(path)
        value = struct.pack("<4q", *([_filetime(when)] * 4))
        try:
            if self._lib.ntfs_inode_set_times(ni, value, len(value), 0) != 0:
                raise OSError(f"could not set the times of {path}")
        finally:
            self._lib.ntfs_inode_close(ni)


def set_file_name_times(image: Path, name: str, when: datetime) -> int:
    """Rewrite the $FILE_NAME times in the MFT records of files called ``name``.

    Run on a closed image after :meth:`NtfsImage.set_times` to leave $STANDARD_INFORMATION
    earlier than $FILE_NAME, as a timestomping tool does. Returns the records changed.
    """
    data = bytearray(image.read_bytes())
    wanted = name.encode("utf-16-le")
    stamp = struct.pack("<q", _filetime(when))
    changed = 0
    offset = data.find(b"FILE0", 0)
    while offset != -1:
        record = offset
        attr = record + struct.unpack_from("<H", data, record + 0x14)[0]
        while attr + 8 < record + 1024:
            kind, length = struct.unpack_from("<II", data, attr)
            if kind == 0xFFFFFFFF or length == 0:
                break
            if kind == 0x30 and data[attr + 8] == 0:  # resident $FILE_NAME
                content = attr + struct.unpack_from("<H", data, attr + 0x14)[0]
                name_len = data[content + 0x40]
                if data[content + 0x42 : content + 0x42 + 2 * name_len] == wanted:
                    for field in range(4):
                        start = content + 8 + 8 * field
                        if (start - record) % 512 > 502:
                            raise OSError("a time crosses a sector fixup")
                        data[start : start + 8] = stamp
                    changed += 1
            attr += length
        offset = data.find(b"FILE0", offset + 1024)
    image.write_bytes(bytes(data))
    return changed
