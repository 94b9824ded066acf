"""HSDS 3: CSV packages (folder or .zip) and JSON / NDJSON lists of services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from geo.errors import BadRequest
from geo.importer.vocabulary import Vocabulary

if TYPE_CHECKING:
    from geo.importer.run import Loaded


def load_package(path: Path, vocab: Vocabulary) -> Loaded:
    raise BadRequest(f"{path.name}: HSDS packages are not supported yet")


def load_json(path: Path, vocab: Vocabulary) -> Loaded:
    raise BadRequest(f"{path.name}: HSDS JSON is not supported yet")
