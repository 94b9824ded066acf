"""Languages: one normaliser turns a code or a name, in any case or language, into an ISO 639 code;
the migration gives stored rows the same codes."""

from __future__ import annotations

import importlib

import pytest

from geo.fields import FieldProblem
from geo.languages import Language, find_language, language_or_none, normalised_row

migration = importlib.import_module("geo.migrations.versions.0012_language_codes")

SPANISH = Language("es", "Spanish")


@pytest.mark.parametrize(("given", "expected"), [
    ("Spanish", SPANISH), ("spanish", SPANISH), ("SPANISH", SPANISH), (" Spanish ", SPANISH),
    ("español", SPANISH), ("Espanol", SPANISH), ("spa", SPANISH), ("es", SPANISH), ("ES", SPANISH),
    ("es-MX", SPANISH),
    ("English", Language("en", "English")), ("eng", Language("en", "English")),
    ("Haitian Creole", Language("ht", "Haitian Creole")), ("Kreyòl", Language("ht", "Haitian Creole")),
    ("ASL", Language("ase", "American Sign Language")), ("asl", Language("ase", "American Sign Language")),
    ("American Sign Language", Language("ase", "American Sign Language")),
    ("ase", Language("ase", "American Sign Language")),
    ("Français", Language("fr", "French")), ("fre", Language("fr", "French")),
    ("Deutsch", Language("de", "German")), ("Farsi", Language("fa", "Persian")),
    ("Chinese", Language("zh", "Chinese")), ("zh-Hant", Language("zh", "Chinese")),
    ("Vietnamese", Language("vi", "Vietnamese")), ("Somali", Language("so", "Somali")),
    ("Karen", Language("kar", "Karen languages")),
])
def test_a_code_or_a_name_in_any_case_or_language_is_one_iso_639_code(given, expected):
    assert find_language(given) == expected


@pytest.mark.parametrize("given", [
    "Klingonese", "xx", "", "   ", "und", "zxx", "qaa",
    "Spanish, English",  # two languages are two values, never the first one guessed
    "Arabic (Sudanese)",  # no guessing from a prefix
    "x" * 200, "x-private", "Span\x00ish",
])
def test_words_naming_no_language_are_refused_with_the_way_out(given):
    assert language_or_none(given) is None
    with pytest.raises(FieldProblem) as e:
        find_language(given, "name")
    assert e.value.field_name == "name"
    assert e.value.reason.startswith("unknown language ")
    assert "such as es or a name such as Spanish" in e.value.reason


@pytest.mark.parametrize(("stored", "migrated"), [
    ((None, "Spanish"), ("es", "Spanish")),  # a sheet's name: the code is filled in
    (("", "español"), ("es", "Spanish")),
    (("ES", None), ("es", "Spanish")),  # codes are normalised
    (("spa", "Spanish"), ("es", "Spanish")),
    (("es", "French"), ("es", "Spanish")),  # the code wins over the name
    (("xx", "Vietnamese"), ("vi", "Vietnamese")),  # a bad code with a good name
    ((None, "Klingonese"), (None, "Klingonese")),  # unknown: the words stay, no code
    (("xx", None), (None, "xx")),
    ((None, None), (None, None)),
])
def test_stored_rows_are_normalised_by_the_same_rule(stored, migrated):
    assert normalised_row(*stored) == migrated


def test_the_migration_fills_codes_from_names_and_keeps_search_in_step(conn):
    service_id = conn.execute(
        """SELECT s.id FROM service s JOIN service_point sp ON sp.service_id = s.id
           WHERE NOT sp.confidential LIMIT 1""").fetchone()["id"]
    conn.execute("DELETE FROM language WHERE service_id = %s", [service_id])
    conn.execute("""INSERT INTO language (service_id, code, name) VALUES
                    (%(s)s, NULL, 'English'), (%(s)s, NULL, 'español'), (%(s)s, 'VI', NULL),
                    (%(s)s, NULL, 'Klingonese')""", {"s": service_id})
    conn.execute("UPDATE service_point SET languages = '{}' WHERE service_id = %s", [service_id])

    assert migration.migrate_language_rows(conn) == [service_id]

    rows = conn.execute("SELECT code, name FROM language WHERE service_id = %s ORDER BY code NULLS LAST",
                        [service_id]).fetchall()
    assert [(r["code"], r["name"]) for r in rows] == [
        ("en", "English"), ("es", "Spanish"), ("vi", "Vietnamese"), (None, "Klingonese")]
    point = conn.execute("SELECT languages, doc FROM service_point WHERE service_id = %s LIMIT 1",
                         [service_id]).fetchone()
    assert sorted(point["languages"]) == ["en", "es", "vi"]
    assert {(x["code"], x["name"]) for x in point["doc"]["languages"]} == {
        ("en", "English"), ("es", "Spanish"), ("vi", "Vietnamese"), (None, "Klingonese")}
    assert migration.migrate_language_rows(conn) == []  # a second run finds nothing to do
