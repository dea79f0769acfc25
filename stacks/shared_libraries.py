"""Which shared libraries an interpreter's native files need, and which Lambda lacks.

Reads ``DT_NEEDED`` entries straight from ELF files (64-bit, either byte order), so no binutils
are needed on the build machine. A needed library is satisfied by a file in the layer's own
``lib/`` or by the provided.al2023 allow-list (al2023_libraries.txt, with its source).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

ALLOW_LIST_FILE = Path(__file__).resolve().parent / "al2023_libraries.txt"
_PT_LOAD, _PT_DYNAMIC = 1, 2
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5


def provided_al2023() -> frozenset[str]:
    """The sonames the provided.al2023 base image supplies (al2023_libraries.txt)."""
    lines = ALLOW_LIST_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` sonames of a 64-bit ELF file ([] for anything else)."""
    data = path.read_bytes()
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2:  # ELFCLASS64 only
        return []
    order = "<" if data[5] == 1 else ">"
    phoff = struct.unpack_from(order + "Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36)
    loads: list[tuple[int, int, int]] = []  # (vaddr, offset, filesz)
    dynamic: tuple[int, int] | None = None
    for index in range(phnum):
        base = phoff + index * phentsize
        if base + 56 > len(data):
            return []
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
            order + "IIQQQQ", data, base
        )
        if p_type == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == _PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return []
    entries: list[tuple[int, int]] = []
    for at in range(dynamic[0], min(dynamic[0] + dynamic[1], len(data) - 15), 16):
        tag, value = struct.unpack_from(order + "qQ", data, at)
        if tag == _DT_NULL:
            break
        entries.append((tag, value))
    strtab = next((v for t, v in entries if t == _DT_STRTAB), None)
    if strtab is None:
        return []
    table = next((o + strtab - v for v, o, s in loads if v <= strtab < v + s), None)
    if table is None:
        return []
    names = []
    for tag, value in entries:
        if tag == _DT_NEEDED:
            end = data.find(b"\0", table + value)
            names.append(data[table + value : end].decode("ascii", "replace"))
    return names


def missing(files: Iterable[Path], own: Iterable[str]) -> dict[str, list[str]]:
    """Needed sonames neither in ``own`` (the layer's lib/) nor provided by Lambda, each with
    the files that need it."""
    available = provided_al2023() | set(own)
    found: dict[str, list[str]] = {}
    for path in files:
        for name in needed(path):
            if name not in available:
                found.setdefault(name, []).append(path.name)
    return found
