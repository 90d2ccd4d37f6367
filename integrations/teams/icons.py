"""The Teams app icons, drawn in code and written as PNG with zlib + struct.

Teams wants a 192×192 full-colour icon and a 32×32 outline icon that is only
white on a transparent background. Both show a tick in a ring: Teamaround's
"every action gets done". Drawing is deterministic, so rebuilt packages are
byte-for-byte the same.
"""

from __future__ import annotations

import math
import struct
import zlib
from functools import lru_cache

ACCENT = (0x1D, 0x4E, 0x89)  # the manifest's accentColor, and Slack's background colour
WHITE = (0xFF, 0xFF, 0xFF)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SAMPLES = 4  # per axis: 16 samples per pixel for smooth edges


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int, height: int, rows: list[bytes], *, alpha: bool) -> bytes:
    """A PNG from raw rows of 8-bit RGB (or RGBA) pixels."""
    channels = 4 if alpha else 3
    if len(rows) != height or any(len(row) != width * channels for row in rows):
        raise ValueError("rows do not match the image size")
    colour_type = 6 if alpha else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) on every row
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (ax + t * dx), y - (ay + t * dy))


def _coverage(size: int, *, scale: float, line: float) -> list[list[float]]:
    """How much of each pixel the mark covers (0..1): a ring and a tick drawn
    in a unit square, ``scale`` times the full size, with lines ``line`` wide."""
    centre = 0.5
    outer = 0.5 * scale
    inner = outer - line
    tick = tuple(
        (centre + (x - centre) * scale, centre + (y - centre) * scale)
        for x, y in ((0.27, 0.53), (0.44, 0.70), (0.75, 0.35))
    )
    tick_width = line * 1.2
    step = 1.0 / _SAMPLES
    grid: list[list[float]] = []
    for py in range(size):
        row: list[float] = []
        for px in range(size):
            hits = 0
            for sy in range(_SAMPLES):
                for sx in range(_SAMPLES):
                    x = (px + (sx + 0.5) * step) / size
                    y = (py + (sy + 0.5) * step) / size
                    r = math.hypot(x - centre, y - centre)
                    on_ring = inner <= r <= outer
                    on_tick = (
                        min(
                            _segment_distance(x, y, tick[0], tick[1]),
                            _segment_distance(x, y, tick[1], tick[2]),
                        )
                        <= tick_width / 2
                    )
                    hits += on_ring or on_tick
            row.append(hits / (_SAMPLES * _SAMPLES))
        grid.append(row)
    return grid


@lru_cache(maxsize=1)
def colour_icon() -> bytes:
    """192×192, full colour: a white mark on the accent colour, inside Teams'
    recommended central 96 pixels so the rounded tile never cuts it."""
    size = 192
    coverage = _coverage(size, scale=0.5, line=0.04)  # a 96-pixel mark, centred
    rows = []
    for line in coverage:
        row = bytearray()
        for c in line:
            row += bytes(round(b + (w - b) * c) for b, w in zip(ACCENT, WHITE, strict=True))
        rows.append(bytes(row))
    return png(size, size, rows, alpha=False)


@lru_cache(maxsize=1)
def outline_icon() -> bytes:
    """32×32: only white, on a transparent background (alpha carries the shape)."""
    size = 32
    coverage = _coverage(size, scale=0.94, line=0.1)
    rows = []
    for line in coverage:
        row = bytearray()
        for c in line:
            row += bytes((*WHITE, round(255 * c)))
        rows.append(bytes(row))
    return png(size, size, rows, alpha=True)
