"""engine.read.cells.may_be_mojibake: the quick test before the garbled-accents search never lets a
match through (every alternative of MOJIBAKE starts with one of MOJIBAKE_LEADS)."""

from __future__ import annotations

import re._parser as sre_parse  # type: ignore[import-not-found]
from pathlib import Path

from engine.read.cells import MOJIBAKE, MOJIBAKE_LEADS, may_be_mojibake


def _first_characters(pattern: str) -> set[str]:
    (branch,) = sre_parse.parse(pattern)
    opcode, (_, alternatives) = branch
    assert opcode == sre_parse.BRANCH
    found = set()
    for alternative in alternatives:
        kind, value = alternative[0]
        assert kind == sre_parse.LITERAL  # each alternative starts with one character
        found.add(chr(value))
    return found


def test_every_match_starts_with_a_lead() -> None:
    assert _first_characters(MOJIBAKE.pattern) == set(MOJIBAKE_LEADS)


def test_the_quick_test_finds_each_lead_and_nothing_else() -> None:
    assert all(may_be_mojibake(f"Jos{lead}e") for lead in MOJIBAKE_LEADS)
    assert not any(may_be_mojibake(text) for text in ("Élodie", "Noël", "Zoé", "Ça va", "ÉCOLE", ""))
    assert may_be_mojibake("Ã©lodie") and MOJIBAKE.search("Ã©lodie") is not None


def test_csv_rows_send_every_lead_to_the_search(tmp_path: Path) -> None:
    """csv_rows tries finish_row's quick tests itself (the leads among them): a row holding garbled
    accents of any lead, in NFC and valid UTF-8 otherwise, is still refused."""
    import pytest

    from engine.errors import OndeError
    from engine.read.csvrows import csv_rows

    samples = {"Ã": "Ã©", "Â": "Â«", "Å": "Å“", "â": "â€™", "ï": "ï»¿"}
    assert set(samples) == set(MOJIBAKE_LEADS)
    for lead, garbled in samples.items():
        assert MOJIBAKE.search(garbled) is not None
        path = tmp_path / f"{ord(lead)}.csv"
        path.write_text(f"Nom;Prénom\nDUPONT;Zo{garbled}\n", encoding="utf-8")
        assert next(csv_rows(path, "utf-8", ";"))[1] == ["Nom", "Prénom"]
        with pytest.raises(OndeError, match="garbled accents"):
            list(csv_rows(path, "utf-8", ";"))
