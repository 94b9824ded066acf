"""Languages as ISO 639 codes, whatever a directory calls them: "Spanish", "español", "spa", "ES" and
"es-MX" are all `es`. Every way in (sheet, HSDS feed, editing API, search filter, the migration of
old rows) reads a language here, so a service stored from one is found by a family asking in another.

A code is the shortest ISO 639 code for the language (two letters where ISO 639-1 has one, else the
three-letter ISO 639-3 code: `ase` for American Sign Language); region and script are dropped
("zh-Hant" is `zh`). A name must be a language's name in some language as CLDR and IANA know it,
matched whole, any case: no guessing from a prefix (langcodes would read "Karen" as Kari).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import langcodes
from language_data.names import load_trie, normalize_name
from language_data.util import data_filename

from geo.fields import FieldProblem

# Words directories in the US use that the registries read as another language or not at all.
ALIASES = {
    "asl": "ase",  # American Sign Language, not Asilulu
    "espanol": "es",
    "kreyol": "ht",
    "creole haitian": "ht",
    "francais": "fr",
    "karen": "kar",  # the Karen languages, not Kari
}
# Registered codes that name no language a person could be helped in.
NOT_A_LANGUAGE = {"und", "zxx", "mis", "mul"}
_PRIVATE_USE = re.compile(r"^q[a-t][a-z]$")
_ISO_639 = re.compile(r"^[a-z]{2,3}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LENGTH = 100
HINT = "use an ISO 639 code such as es or a name such as Spanish"


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639, lower case
    name: str  # the English name


@functools.cache
def _names() -> object:
    """Every language name CLDR knows, in every language, normalised (case and punctuation)."""
    return load_trie(data_filename("trie/und/name_to_language.marisa"))


def _from_tag(tag: langcodes.Language) -> Language | None:
    code = tag.language
    if (not code or not _ISO_639.match(code) or code in NOT_A_LANGUAGE or _PRIVATE_USE.match(code)
            or not tag.is_valid()):
        return None
    plain = langcodes.Language.make(language=code)
    return Language(code, plain.display_name("en"))


@functools.lru_cache(maxsize=4096)
def language_or_none(value: str) -> Language | None:
    """The language a code or name stands for; None when it names none."""
    text = value.strip()
    if not text or len(text) > MAX_LENGTH or _CONTROL.search(text):
        return None
    key = normalize_name(text)
    try:
        if key in ALIASES:
            return _from_tag(langcodes.get(ALIASES[key]))
        if langcodes.tag_is_valid(text):
            return _from_tag(langcodes.get(text))
        if key in _names():  # type: ignore[operator]
            return _from_tag(langcodes.find(text))
    except (LookupError, ValueError):
        pass
    return None


def find_language(value: str, field_name: str = "languages") -> Language:
    """The language a code or name stands for, or FieldProblem saying it names none."""
    found = language_or_none(value)
    if found is None:
        raise FieldProblem(field_name, unknown_language(value))
    return found


def unknown_language(value: str) -> str:
    """The reason a value naming no language is refused, with the way out."""
    return f"unknown language {value.strip()!r} ({HINT})"


def normalised_row(code: str | None, name: str | None) -> tuple[str | None, str | None]:
    """A stored (code, name) pair as the normaliser writes it: the code wins when it is one, else
    the name; a pair naming no language keeps its words (as the name) and gets no code."""
    for value in (code, name):
        found = language_or_none(value or "")
        if found is not None:
            return found.code, found.name
    return None, (name or code or None)


def language_label(value: str) -> str:
    """What a sheet shows for a stored language: its English name, or the words kept as given."""
    found = language_or_none(value)
    return found.name if found else value
