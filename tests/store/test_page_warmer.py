"""The background read that fills the page cache before the first search (store/page_warmer.py)."""

from __future__ import annotations

from coordinator_tui.store import page_warmer
from coordinator_tui.store.page_warmer import warm_page_cache


def test_the_whole_database_file_is_read_and_left_unchanged(seeded_path):
    before = seeded_path.read_bytes()
    assert warm_page_cache(seeded_path) == len(before)
    assert seeded_path.read_bytes() == before


def test_a_database_too_big_for_the_free_memory_is_not_pushed_through_the_cache(seeded_path, monkeypatch):
    size = seeded_path.stat().st_size
    monkeypatch.setattr(page_warmer, "free_memory_bytes", lambda: size)  # half of it is too little
    assert warm_page_cache(seeded_path) == 0
    monkeypatch.setattr(page_warmer, "free_memory_bytes", lambda: size * 3)
    assert warm_page_cache(seeded_path) == size


def test_no_file_or_an_unreadable_one_is_skipped_quietly(tmp_path):
    assert warm_page_cache(None) == 0
    assert warm_page_cache(tmp_path / "missing.sqlite") == 0
    assert warm_page_cache(tmp_path) == 0  # a directory
