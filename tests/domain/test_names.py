"""Search-key normalisation: what the desk types must meet what was stored."""

from __future__ import annotations

import random
import re

import pytest

from coordinator_tui.domain.names import fold, name_key, name_tokens, phonetic, similarity


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("SMITH", "smith"),
        ("Müller", "muller"),
        ("José María", "jose maria"),
        ("Zoë Ñúñez", "zoe nunez"),
        ("Çelik Şahin", "celik sahin"),
        # letters NFKD does not decompose
        ("Straße", "strasse"),
        ("STRAẞE", "strasse"),
        ("Ødegård", "odegard"),
        ("Æsop", "aesop"),
        ("Œuvre", "oeuvre"),
        ("Łukasz", "lukasz"),
        ("Đorđe", "dorde"),
        ("Guðrún", "gudrun"),
        ("Þór", "thor"),
        ("Yıldız", "yildiz"),
        ("İnce", "ince"),
        # joiners vanish, separators become one space
        ("O'Neil", "oneil"),
        ("O’Neil", "oneil"),
        ("D`Angelo", "dangelo"),
        ("St. John", "st john"),
        ("J.R.R. Tolkien", "jrr tolkien"),
        ("Smith-Jones", "smith jones"),
        ("Smith, John", "smith john"),
        ("Smith/Jones", "smith jones"),
        ("  van   der\tBerg  ", "van der berg"),
        ("Smith -- Jones!!", "smith jones"),
        # invisible format characters join rather than split
        ("Smith\u00adJones", "smithjones"),
        ("Jo\u200bhn", "john"),
        # compatibility forms and other digits
        ("ＳＭＩＴＨ１２", "smith12"),
        ("ﬁsher", "fisher"),
        ("٣٤", "34"),
        ("", ""),
        ("   ", ""),
        ("'.-,", ""),
    ],
)
def test_fold(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("typed", "folded"),
    [("王小明", "王小明"), ("Иванов", "иванов"), ("ΣΩΚΡΆΤΗΣ", "σωκρατησ"), ("김민수", "김민수")],
)
def test_fold_keeps_non_latin_letters(typed: str, folded: str) -> None:
    # Not transliterated, but never emptied: these names must still be findable.
    assert fold(typed) == folded


def test_fold_output_alphabet_and_idempotence_on_random_text() -> None:
    rng = random.Random(20240304)
    alphabet = (
        "abcXYZ019 '-.,/`_()&#\t\n\u00e9\u00df\u00f8\u00e6\u0142\u0131\u0130\u00ad\u200b"
        "\u0301\u0308\u00b4\uff21\uff11\u0663\u2460\ufb01\u738b\u0418\u00bd\u2122"
    )
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        folded = fold(text)
        assert folded == fold(folded), text
        assert folded == folded.strip() and "  " not in folded, text
        # Only letters/digits and single spaces; ASCII apart from the non-Latin letters.
        assert all(ch == " " or ch.isalnum() for ch in folded), text
        latin_only = "".join(ch for ch in folded if ch not in "\u738b\u0438")
        assert re.fullmatch(r"[a-z0-9 ]*", latin_only), (text, folded)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Smith-Jones", "smithjones"),
        ("Smith Jones", "smithjones"),
        ("O'Neil", "oneil"),
        ("van der Berg", "vanderberg"),
        ("Van Der Berg", "vanderberg"),
        ("García", "garcia"),
        ("", ""),
    ],
)
def test_name_key(typed: str, key: str) -> None:
    assert name_key(typed) == key


def test_name_tokens() -> None:
    assert name_tokens("Smith-Jones") == ["smith", "jones"]
    assert name_tokens("de la Cruz, María") == ["de", "la", "cruz", "maria"]
    assert name_tokens("O'Neil") == ["oneil"]
    assert name_tokens("") == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Jon", "John"),
        ("Smyth", "Smith"),
        ("Catherine", "Katherine"),
        ("Mueller", "Muller"),
        ("Müller", "Mueller"),
        ("Stephen", "Steven"),
        ("Philip", "Phillip"),
        ("O'Neil", "ONeill"),
        ("Smith-Jones", "Smith Jones"),
    ],
)
def test_phonetic_sound_alikes_match(a: str, b: str) -> None:
    assert phonetic(a) == phonetic(b) != ""


@pytest.mark.parametrize(
    ("a", "b"), [("Smith", "Jones"), ("Brown", "Green"), ("Katz", "Kurtz"), ("Jon", "Jonas")]
)
def test_phonetic_different_names_differ(a: str, b: str) -> None:
    assert phonetic(a) != phonetic(b)


def test_phonetic_ignores_vowels_so_it_only_narrows() -> None:
    # Metaphone keys consonants: John and Jane share a key. The search uses the key to find
    # candidates and `similarity` to rank them; this test documents why both exist.
    assert phonetic("John") == phonetic("Jane")
    assert similarity("John", "Jon") > similarity("John", "Jane")


def test_phonetic_edge_cases() -> None:
    assert phonetic("") == ""
    assert phonetic("  -' ") == ""
    assert phonetic("1234") == ""
    # A name with no Latin letters keys on its own letters, so it is not equal to every
    # other non-Latin name (an empty key would be).
    assert phonetic("王小明") == "王小明"
    assert phonetic("王小明") != phonetic("李娜")
    assert phonetic("Smith2") == phonetic("Smith")


def test_similarity_range_and_order() -> None:
    assert similarity("Smith", "smith") == 1.0
    assert similarity("Müller", "MULLER") == 1.0
    typo = similarity("Jonathon", "Jonathan")
    unrelated = similarity("Smith", "Jones")
    assert 0.9 <= typo < 1.0
    assert 0.0 <= unrelated < 0.6
    assert similarity("Smiht", "Smith") > similarity("Smith", "Schmidt")


def test_similarity_of_empty_is_zero() -> None:
    assert similarity("", "") == 0.0
    assert similarity("Smith", "") == 0.0
    assert similarity("'-", "Smith") == 0.0
