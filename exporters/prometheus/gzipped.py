"""Bodies in blocks: join small pieces into ~1 MB blocks, gzip them block by block.

A city's ``/metrics`` is ~100 MB of small pieces (each device's lines per family). Joining
them whole, then gzipping the whole, held three copies at once; here a body is handled one
block at a time. zlib and the socket let go of the interpreter while they work, so a block
is also the unit at which the polling event loop gets a turn. Several gzip members one after
the other are one valid gzip body (RFC 1952, section 2.2); Prometheus's reader (Go's
``compress/gzip``) and Python's read them as one stream.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

#: Pieces are joined into blocks of about this size before they are gzipped or written.
BLOCK = 1 << 20
#: zlib's wbits for a gzip header and trailer.
GZIP_WBITS = 31
#: The first two bytes of every gzip member.
GZIP_MAGIC = b"\x1f\x8b"


def blocks(chunks: Iterable[bytes], size: int = BLOCK) -> Iterator[bytes]:
    """Pieces joined into blocks of at least ``size`` bytes (the last may be smaller)."""
    pending: list[bytes] = []
    n = 0
    for c in chunks:
        pending.append(c)
        n += len(c)
        if n >= size:
            yield b"".join(pending)
            pending, n = [], 0
    if pending:
        yield b"".join(pending)


def gzip_blocks(chunks: Iterable[bytes]) -> list[bytes]:
    """One gzip stream of the pieces, compressed block by block at level 1 (a city's 97 MB
    in ~0.3 s, 20x smaller)."""
    z = zlib.compressobj(1, zlib.DEFLATED, GZIP_WBITS)
    out = [z.compress(b) for b in blocks(chunks)]
    out.append(z.flush())
    return [b for b in out if b]


def gzip_member(block: bytes) -> bytes:
    """One block as a gzip member of its own (level 1)."""
    return zlib.compress(block, 1, wbits=GZIP_WBITS)


def gunzip_member(member: bytes) -> bytes:
    """The text of one gzip member made by :func:`gzip_member`."""
    return zlib.decompress(member, wbits=GZIP_WBITS)


def as_text(piece: bytes) -> bytes:
    """A piece that may be text or a gzip member, as text."""
    return gunzip_member(piece) if piece[:2] == GZIP_MAGIC else piece


def text_size(piece: bytes) -> int:
    """The length of :func:`as_text` without unpacking: a member's trailer ends with it."""
    return int.from_bytes(piece[-4:], "little") if piece[:2] == GZIP_MAGIC else len(piece)
