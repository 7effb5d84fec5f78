"""The phrases about SACoche's import archive (``sacoche_siecle_import``, one row per objet): its state
before and after apply.sql, a write cut between its pieces, and the statements that write it piece by
piece.
"""

from __future__ import annotations

from typing import Any, ClassVar

from engine.render.phrases_base import PhraseBase


class ArchivePhrases(PhraseBase):
    CONDITIONS: ClassVar[dict[str, str]] = {
        "archive_old": "_archive_old",
        "archive_new": "_archive_new",
        "archive_started": "_archive_started",
        "archive_reverting": "_archive_reverting",
        "archive_fits": "_archive_fits",
    }
    ARCHIVE_WHERE = "siecle_import_objet = 'Onde'"

    # what differs between dialects
    def null_safe_is(self, column: str, value: Any) -> str:
        raise NotImplementedError

    def content_is(self, a: Any, side: str) -> str:
        """The row's content is this side's content."""
        raise NotImplementedError

    def concat(self, column: str, piece: str) -> str:
        raise NotImplementedError

    def prefix_is(self, size: int, digest: str) -> str:
        """The row's content is the first ``size`` bytes of a side (the pieces written so far)."""
        raise NotImplementedError

    # conditions
    def _archive_old(self, g: Any) -> str:
        return self._archive_is(g.subject, "old", g.subject.row_exists)

    def _archive_new(self, g: Any) -> str:
        return self._archive_is(g.subject, "new", True)

    def _archive_is(self, a: Any, side: str, exists: bool) -> str:
        if not exists:
            return f"NOT EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE})"
        day, year, _ = a.side(side)
        return (
            f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND "
            f"{self.null_safe_is('siecle_import_date', day)} AND "
            f"{self.null_safe_is('siecle_import_annee', year)} AND {self.content_is(a, side)})"
        )

    def _archive_fits(self, g: Any) -> str:
        return "1 = 1"

    def _archive_part(self, a: Any, side: str, whole: bool) -> str:
        """The row holds one side's date and year, and a prefix of its content at a piece boundary (or,
        ``whole``, all of it)."""
        day, year, _ = a.side(side)
        states = [f"({self.prefix_is(size, digest)})" for size, digest in a.prefixes(side)]
        prefixes = " OR ".join([*states, *([f"({self.content_is(a, side)})"] if whole else [])])
        return (
            f"{self.null_safe_is('siecle_import_date', day)} AND "
            f"{self.null_safe_is('siecle_import_annee', year)} AND ({prefixes})"
        )

    def _archive_started(self, g: Any) -> str:
        """apply.sql wrote the archive, or was cut between its pieces: the new date and year, and the
        new content or a prefix of it at a piece boundary."""
        part = self._archive_part(g.subject, "new", True)
        return f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND {part})"

    def _archive_reverting(self, g: Any) -> str:
        """What revert.sql may meet: apply's archive whole or cut between its pieces, or revert.sql's own
        run cut between the old content's pieces (one statement: one reference to the table)."""
        parts = [f"({self._archive_part(g.subject, 'new', True)})"]
        if g.subject.prefixes("old"):
            parts.append(f"({self._archive_part(g.subject, 'old', False)})")
        states = " OR ".join(parts)
        return f"EXISTS (SELECT 1 FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE} AND ({states}))"

    # statements the templates call
    def archive_statements(self, a: Any, side: str) -> list[str]:
        """The statements that make the row hold one side: the first sets date, year and the first piece
        of the content (UPDATE, or INSERT when the row is missing), each next one appends a piece
        (statements stay small whatever the content's size)."""
        big = self.big
        if side == "old" and not a.row_exists:
            return [f"DELETE FROM sacoche_siecle_import WHERE {self.ARCHIVE_WHERE}"]
        day, year, _ = a.side(side)
        first, *rest = a.chunks(side)
        if side == "new" and not a.row_exists:
            head = (
                f"{self.INSERT_IGNORE} INTO sacoche_siecle_import (siecle_import_objet, siecle_import_date, "
                f"siecle_import_annee, siecle_import_contenu) VALUES ('Onde', {self.lit(day)}, "
                f"{self.lit(year)}, {big(first)})"
            )
        else:
            other = "new" if side == "old" else "old"
            where = self.content_is(a, other)
            if side == "old" and (cuts := a.prefixes("new")):  # revert after apply cut between pieces
                where = " OR ".join([f"({where})", *(f"({self.prefix_is(n, d)})" for n, d in cuts)])
                where = f"({where})"
            head = (
                f"UPDATE sacoche_siecle_import SET siecle_import_date = {self.lit(day)}, "
                f"siecle_import_annee = {self.lit(year)}, siecle_import_contenu = {big(first)} "
                f"WHERE {self.ARCHIVE_WHERE} AND {where}"
            )
        # each piece is appended only onto the pieces before it: a cut between pieces can be finished
        tail = [
            f"UPDATE sacoche_siecle_import SET siecle_import_contenu = "
            f"{self.concat('siecle_import_contenu', big(piece))} WHERE {self.ARCHIVE_WHERE} AND "
            f"{self.prefix_is(size, digest)}"
            for piece, (size, digest) in zip(rest, a.prefixes(side), strict=False)
        ]
        return [head, *tail]
