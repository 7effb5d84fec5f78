"""Dataclasses made while their generated code is remembered (engine.codecache) are the classes
``@dataclass`` makes: same behaviour, the code read back from the cache on the next run, a damaged cache
file ignored, nothing left patched after the block."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import engine.codecache as codecache
from engine.cache import ENV_VAR, cache_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    cache_dir.cache_clear()
    yield tmp_path / "cache"
    cache_dir.cache_clear()


def _make() -> Any:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Card:
        """A card."""

        login: str
        classes: tuple[str, ...] = ()
        note: str | None = None

    return Card


def _behaves_as_a_dataclass(card_class: Any) -> None:
    card = card_class("a.b", ("CP",))
    assert card == card_class("a.b", ("CP",)) and card != card_class("a.c")
    assert hash(card) == hash(card_class("a.b", ("CP",)))
    assert repr(card).endswith("Card(login='a.b', classes=('CP',), note=None)")
    assert dataclasses.replace(card, note="x").note == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.login = "c"  # type: ignore[misc]
    assert card_class.__init__.__annotations__["return"] is None  # no future import inherited


def test_the_code_is_remembered_and_read_back(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with codecache.remembered_dataclass_code():
        first = _make()
    _behaves_as_a_dataclass(first)
    assert len(list((cache).rglob("dataclasses-*.marshal"))) == 1

    def no_compiling(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(codecache, "compile", no_compiling, raising=False)
    with codecache.remembered_dataclass_code():
        again = _make()
    _behaves_as_a_dataclass(again)
    assert not hasattr(dataclasses, "exec")  # the builtin exec again after the block


def test_a_damaged_cache_file_is_ignored(cache: Path) -> None:
    path = codecache._cache_file()
    assert path is not None
    path.write_bytes(b"\x00not marshal")
    with codecache.remembered_dataclass_code():
        card_class = _make()
    _behaves_as_a_dataclass(card_class)
    assert codecache._read(path)  # rewritten with what this block compiled


def test_without_a_cache_nothing_is_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "off")
    cache_dir.cache_clear()
    try:
        with codecache.remembered_dataclass_code():
            assert not hasattr(dataclasses, "exec")
            card_class = _make()
    finally:
        cache_dir.cache_clear()
    _behaves_as_a_dataclass(card_class)
