"""Which text encoding a CSV export is in: UTF-8 (with or without BOM), else an allowed legacy encoding.

The whole file is stream-decoded (memory stays flat); ``charset-normalizer`` ranks the legacy candidates
on a sample around the first non-UTF-8 byte. A file mixing encodings is refused, a UTF-8 file cut inside a
character is "truncated", and bytes 0x80-0x9F are never read as ISO-8859-1's invisible C1 controls.
Errors name the file and line, never a value.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from pathlib import Path

from engine.errors import OndeError

__all__ = ["CHUNK", "UTF8_BOM", "check_encodings", "detect_encoding", "truncated"]

CHUNK = 1 << 20  # bytes read at a time when scanning a whole file
UTF8_BOM = codecs.BOM_UTF8
_MIXED_MIN_UTF8 = 2  # UTF-8 accented sequences needed to call a non-UTF-8 file "mixed"
_C1_BYTES = re.compile(rb"[\x80-\x9f]")

# Byte sequences that are UTF-8 for French text (Latin-1 letters, typographic punctuation, €, Œ/œ).
_UTF8_FRENCH = re.compile(
    rb"\xc3[\x80-\xbf]|\xc2[\xa0-\xbf]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]"
    rb"|\xe2\x80[\x93\x94\x98\x99\x9c\x9d\xa6]|\xe2\x82\xac"
)

_CANONICAL_CODECS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "cp1252": "cp1252",
    "iso8859-1": "iso-8859-1",
}
_UTF8_FAMILY = frozenset({"utf-8", "utf-8-sig"})


def _canonical(codec: str) -> str:
    """Python's canonical codec name, spelled as in :attr:`RawSource.encoding`."""
    name = codecs.lookup(codec).name
    return _CANONICAL_CODECS.get(name, name)


def check_encodings(encodings: Sequence[str]) -> list[str]:
    if isinstance(encodings, str) or not encodings:
        raise ValueError("encodings must be a non-empty sequence of codec names")
    result: list[str] = []
    for name in encodings:
        codec = _canonical(name)  # LookupError for an unknown codec: a programming/config error
        if codec not in result:
            result.append(codec)
    return result


def _first_undecodable(path: Path, codec: str, skip: int = 0) -> tuple[int, int] | None:
    """Stream-decode the file; return (physical line, byte offset) of the first bad byte, or None."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines = 0  # "\n" bytes fully decoded so far
    offset = skip
    with path.open("rb") as f:
        f.seek(skip)
        while chunk := f.read(CHUNK):
            pending = decoder.getstate()[0]  # an incomplete multi-byte sequence: never holds "\n"
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                data = exc.object
                line = newlines + data.count(b"\n", 0, exc.start) + 1
                return line, offset - len(pending) + exc.start
            newlines += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", True)
        except UnicodeDecodeError:
            return newlines + 1, offset - len(decoder.getstate()[0])
    return None


def _count_utf8_french(path: Path, limit: int) -> int:
    """Count UTF-8 sequences of French accented letters/punctuation, stopping at ``limit``."""
    found = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            for _ in _UTF8_FRENCH.finditer(chunk):
                found += 1
                if found >= limit:
                    return found
    return found


def detect_encoding(path: Path, head: bytes, allowed: list[str], notes: list[str]) -> str:
    """Pick the codec: UTF-8 BOM, else valid UTF-8, else the best allowed legacy encoding."""
    if head.startswith(UTF8_BOM):
        bad = _first_undecodable(path, "utf-8", skip=len(UTF8_BOM))
        if bad is not None and _cut_character_at_end(path, bad[1]):
            raise truncated(bad[0], "it ends in the middle of a character", path)
        if bad is not None:
            raise OndeError(
                f"the file says it is UTF-8 (BOM) but line {bad[0]} is not valid UTF-8",
                file=path,
                line=bad[0],
                hint="the file mixes encodings: re-export it from ONDE, or save the whole file again "
                "as 'CSV UTF-8' in one go",
            )
        return "utf-8-sig"
    bad = _first_undecodable(path, "utf-8")
    if bad is None and "utf-8" in allowed:
        return "utf-8"
    if bad is not None and _cut_character_at_end(path, bad[1]) and _count_utf8_french(path, 1):
        raise truncated(bad[0], "it ends in the middle of a character", path)
    if bad is not None and _count_utf8_french(path, _MIXED_MIN_UTF8) >= _MIXED_MIN_UTF8:
        raise OndeError(
            f"mixed encodings: most of the file is UTF-8 but line {bad[0]} is not",
            file=path,
            line=bad[0],
            hint="the file was assembled from pieces saved with different encodings: re-save the whole "
            "file in one encoding (e.g. 'CSV UTF-8'), or re-export it from ONDE",
        )
    legacy = [c for c in allowed if c not in _UTF8_FAMILY]
    if not legacy:
        raise OndeError(
            f"line {bad[0] if bad else 1} is not valid UTF-8 and no other encoding is allowed",
            file=path,
            line=bad[0] if bad else None,
            hint="save the file as 'CSV UTF-8', or allow its encoding in the rules",
        )
    sample = _encoding_sample(path, bad[1] if bad else 0)
    fitting = _charset_candidates(sample, legacy)
    first_error: tuple[int, int] | None = None
    for codec in fitting + [c for c in _prefer_cp1252(legacy) if c not in fitting]:
        error = _first_undecodable(path, codec)
        if error is None:
            if codec == "iso-8859-1":
                return _instead_of_latin1(path, legacy)
            if codec not in fitting:
                notes.append(f"text encoding could not be confirmed; read as {codec}: check the accents")
            return codec
        first_error = first_error or error
    line = first_error[0] if first_error else None
    detail = f": line {line} is invalid in every allowed encoding" if line else ""
    raise OndeError(
        "cannot tell the text encoding" + detail,
        file=path,
        line=line,
        hint="save the file as 'CSV UTF-8' from a spreadsheet program, or re-export it from ONDE",
    )


def _first_c1_line(path: Path) -> int | None:
    """The physical line of the first byte 0x80-0x9F (C1 controls in ISO-8859-1), or None."""
    newlines = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            found = _C1_BYTES.search(chunk)
            if found is not None:
                return newlines + chunk.count(b"\n", 0, found.start()) + 1
            newlines += chunk.count(b"\n")
    return None


def _instead_of_latin1(path: Path, legacy: list[str]) -> str:
    """ISO-8859-1 decodes every byte, but bytes 0x80-0x9F become C1 control characters, never French.

    A file holding such bytes was written in Windows-1252 (where they are ’ œ € …): it is read as
    Windows-1252, and the few bytes that encoding leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) are refused
    where they stand, line and column, when the rows are read. Without Windows-1252 among the allowed
    encodings, the file is refused at the line of the first such byte.
    """
    line = _first_c1_line(path)
    if line is None:
        return "iso-8859-1"
    if "cp1252" in legacy:
        return "cp1252"
    raise OndeError(
        "this file is not in ISO-8859-1, the only legacy encoding allowed: a byte on this line would "
        "become an invisible control character",
        file=path,
        line=line,
        hint="save the file as 'CSV UTF-8', or allow cp1252 (Windows-1252) in the source rules",
    )


def _cut_character_at_end(path: Path, offset: int) -> bool:
    """Whether the bytes from ``offset`` to the end are the start of one UTF-8 character, cut short."""
    with path.open("rb") as f:
        f.seek(offset)
        tail = f.read(8)
    if not 1 <= len(tail) <= 3 or not 0xC2 <= tail[0] <= 0xF4:
        return False
    needed = 2 if tail[0] < 0xE0 else 3 if tail[0] < 0xF0 else 4
    return len(tail) < needed and all(0x80 <= b <= 0xBF for b in tail[1:])


def truncated(line: int, detail: str, path: Path) -> OndeError:
    return OndeError(
        f"the file looks truncated after line {line - 1}: {detail}",
        file=path,
        line=line,
        hint="the file was cut while it was copied or downloaded: export it again from ONDE and give the "
        "whole file",
    )


def _encoding_sample(path: Path, bad_offset: int) -> bytes:
    """The file's start plus the region around its first non-UTF-8 byte (that is where accents are)."""
    with path.open("rb") as f:
        start = f.read(32 * 1024)
        if bad_offset <= len(start):
            return start + f.read(32 * 1024)
        f.seek(max(len(start), bad_offset - 8 * 1024))
        return start + b"\n" + f.read(40 * 1024)


def _prefer_cp1252(codecs_: list[str]) -> list[str]:
    """cp1252 before iso-8859-1 when both are allowed: cp1252 is the superset actually used."""
    if "cp1252" in codecs_ and "iso-8859-1" in codecs_:
        rest = [c for c in codecs_ if c not in ("cp1252", "iso-8859-1")]
        return ["cp1252", "iso-8859-1", *rest]
    return list(codecs_)


def _charset_candidates(sample: bytes, legacy: list[str]) -> list[str]:
    """Allowed codecs that charset-normalizer finds plausible for the sample, best first."""
    if len(legacy) == 1:
        return list(legacy)
    import charset_normalizer

    try:
        matches = charset_normalizer.from_bytes(sample, cp_isolation=list(legacy))
    except Exception:  # a detector failure must not block reading: fall back to the allowed order
        return []
    fitting: list[str] = []
    for match in matches:
        for name in (match.encoding, *match.could_be_from_charset):
            try:
                codec = _canonical(name)
            except LookupError:
                continue
            if codec in legacy and codec not in fitting:
                fitting.append(codec)
    if "iso-8859-1" in fitting and "cp1252" in legacy:
        # Where both decode, they differ only on 0x80-0x9F: cp1252 letters there, ISO-8859-1 controls.
        fitting = _prefer_cp1252([*fitting, "cp1252"] if "cp1252" not in fitting else fitting)
    return fitting
