"""Bodies in blocks: join small pieces into ~1 MB blocks, gzip them block by block.

A city's ``/metrics`` is ~100 MB of small pieces (each device's lines per family). Joining
them whole, then gzipping the whole, held three copies at once; here a body is handled one
block at a time. zlib and the socket let go of the interpreter while they work, so a block
is also the unit at which the polling event loop gets a turn. Several gzip members one after
the other are one valid gzip body (RFC 1952, section 2.2); Prometheus's reader (Go's
``compress/gzip``) and Python's read them as one stream.

**Packed pieces** (:func:`pack_piece`) keep each device's lines as raw deflate data ending in
a sync flush (RFC 1951: non-final blocks, byte-aligned, no reference outside the piece), with
the text's CRC-32 and length. Two uses of one form:

* a gzip scrape wraps each piece as a member of its own (a 10-byte header, the piece, an empty
  final block, its CRC-32 and length), without compressing again;
* a plain scrape inflates runs of pieces as *one* stream, since sync-flushed pieces one after
  the other are a valid deflate stream. Inflating 130,000 gzip members one at a time made
  130,000 zlib calls that each let go of the interpreter and had to win it back from the
  busy threads (the results run, the polls' loop): a city's plain scrape took 2-7 s.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

#: Pieces are joined into blocks of about this size before they are gzipped or written.
BLOCK = 1 << 20
#: zlib's wbits for a gzip header and trailer.
GZIP_WBITS = 31
#: The first two bytes of every gzip member.
GZIP_MAGIC = b"\x1f\x8b"


def blocks(chunks: Iterable[Chunk], size: int = BLOCK) -> Iterator[bytes]:
    """Pieces joined into blocks of at least ``size`` bytes (the last may be smaller)."""
    pending: list[Chunk] = []
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


def gunzip_member(member: Chunk) -> bytes:
    """The text of one gzip member made by :func:`gzip_member`."""
    return zlib.decompress(member, wbits=GZIP_WBITS)


#: The first byte of a packed piece: text (the exposition format) never starts with NUL.
PACKED = b"\x00"
#: A gzip member's header: deflate, no name, no time, no extra flags, OS unknown.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
#: An empty final block (fixed Huffman: BFINAL 1, BTYPE 01, end-of-block), byte-aligned.
_FINAL_BLOCK = b"\x03\x00"
#: Compressed bytes of packed pieces inflated in one zlib call by a plain scrape.
INFLATE_RUN = 1 << 16

#: What a body is written from: bytes, or views into kept pieces (a gzip scrape's wrapping).
Chunk = bytes | memoryview


def pack_piece(text: bytes) -> bytes:
    """``text`` as a packed piece: raw deflate (level 1) ending in a sync flush, then its
    CRC-32 and length (as a gzip trailer has them)."""
    z = zlib.compressobj(1, zlib.DEFLATED, -15)
    return b"".join((PACKED, z.compress(text), z.flush(zlib.Z_SYNC_FLUSH),
                     struct.pack("<II", zlib.crc32(text), len(text) & 0xFFFFFFFF)))


def is_packed(piece: Chunk) -> bool:
    return piece[:1] == PACKED


def as_member(piece: bytes) -> list[Chunk]:
    """A piece (text, gzip member or packed) as one gzip member, in parts: a packed piece is
    wrapped, not compressed again."""
    if piece[:2] == GZIP_MAGIC:
        return [piece]
    if not is_packed(piece):
        return [gzip_member(piece)]
    view = memoryview(piece)
    return [_GZIP_HEADER, view[1:-8], _FINAL_BLOCK, view[-8:]]


def as_text(piece: Chunk) -> Chunk:
    """A piece that may be text, a gzip member or packed, as text."""
    if piece[:2] == GZIP_MAGIC:
        return gunzip_member(piece)
    if is_packed(piece):
        return zlib.decompressobj(-15).decompress(memoryview(piece)[1:-8])
    return piece


def texts(pieces: Iterable[Chunk]) -> Iterator[Chunk]:
    """The pieces as text, in order; each run of packed pieces is inflated together (one zlib
    call per ~64 KB of them), not piece by piece."""
    run: list[memoryview] = []
    size = 0
    for piece in pieces:
        if is_packed(piece):
            run.append(memoryview(piece)[1:-8])
            size += len(piece)
            if size < INFLATE_RUN:
                continue
            piece = b""
        if run:
            yield zlib.decompressobj(-15).decompress(b"".join(run))
            run, size = [], 0
        if piece:
            yield as_text(piece)
    if run:
        yield zlib.decompressobj(-15).decompress(b"".join(run))


def text_size(piece: Chunk) -> int:
    """The length of :func:`as_text` without unpacking: a member's (or a packed piece's)
    trailer ends with it."""
    return (int.from_bytes(piece[-4:], "little") if piece[:2] == GZIP_MAGIC or is_packed(piece)
            else len(piece))
