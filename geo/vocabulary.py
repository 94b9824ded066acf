"""The words a record may use for categories, stages and states (codes or names, English or Spanish,
any case), read once from the database: imports and edits normalise through it alike."""

from __future__ import annotations

from dataclasses import dataclass

from geo.db import Connection
from geo.errors import BadRequest
from geo.states import state_abbr, state_fips


@dataclass(eq=False)  # hashed by identity: cell parsers are memoised per vocabulary
class Vocabulary:
    categories: dict[str, str]  # lower-case code or name (en/es) -> code
    stages: dict[str, str]
    _states: dict[str, str | None]

    @classmethod
    def load(cls, conn: Connection) -> Vocabulary:
        cats: dict[str, str] = {}
        for r in conn.execute("SELECT code, name, name_es FROM taxonomy_term"):
            for word in (r["code"], r["name"], r["name_es"]):
                if word:
                    cats.setdefault(word.strip().lower(), r["code"])
        stages: dict[str, str] = {}
        for r in conn.execute("SELECT code, name, name_es FROM landscape_stage"):
            for word in (r["code"], r["name"], r["name_es"]):
                if word:
                    stages.setdefault(word.strip().lower(), r["code"])
        return cls(cats, stages, {})

    def category(self, value: str) -> str | None:
        """A category code from its code or name, case-insensitive."""
        return self.categories.get(value.strip().lower())

    def stage(self, value: str) -> str | None:
        return self.stages.get(value.strip().lower())

    def state(self, value: str) -> str | None:
        """'MO', 'mo', 'Missouri' or '29' → 'MO'; None when it names no state."""
        key = value.strip().lower()
        if key not in self._states:
            try:
                self._states[key] = state_abbr(state_fips(value))
            except BadRequest:
                self._states[key] = None
        return self._states[key]
