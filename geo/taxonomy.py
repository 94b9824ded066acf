"""Service categories and child-welfare landscape stages, kept as CSV in data/taxonomy/ so a
planner can edit them without code."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path

from geo.db import Connection

# A UUID, as HSDS 3 requires (migration 0014 renamed the former "upstream-atlas-categories").
TAXONOMY_ID = "9f0f67e8-4fc4-54d0-9b8c-146cbb57ba2b"
TAXONOMY = "upstream-atlas"
_NAMESPACE = uuid.UUID("5b0c7c47-6f7e-4a3e-9d43-8f1f5a0b6c21")


def term_id(code: str) -> str:
    """Stable HSDS ids for our terms, so exports and re-loads agree."""
    return str(uuid.uuid5(_NAMESPACE, f"category:{code}"))


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    name_es: str
    description: str
    urban_threshold_m: float
    rural_threshold_m: float


@dataclass(frozen=True)
class Stage:
    code: str
    position: int
    name: str
    name_es: str
    description: str


def read_categories(data_dir: Path) -> list[Category]:
    with (data_dir / "taxonomy" / "categories.csv").open(newline="", encoding="utf-8") as fh:
        return [
            Category(r["code"], r["name"], r["name_es"], r["description"],
                     float(r["urban_threshold_m"]), float(r["rural_threshold_m"]))
            for r in csv.DictReader(fh)
        ]


def read_stages(data_dir: Path) -> list[Stage]:
    with (data_dir / "taxonomy" / "stages.csv").open(newline="", encoding="utf-8") as fh:
        return [
            Stage(r["code"], int(r["position"]), r["name"], r["name_es"], r["description"])
            for r in csv.DictReader(fh)
        ]


def load_taxonomy(conn: Connection, data_dir: Path) -> tuple[int, int]:
    """Upsert categories and stages from their CSV files; unchanged rows are left alone."""
    conn.execute(
        """INSERT INTO taxonomy (id, name, description, version)
           VALUES (%s, 'Upstream Atlas service categories',
                   'Categories used by family-serving directories; see data/taxonomy/categories.csv', '1')
           ON CONFLICT (id) DO NOTHING""",
        [TAXONOMY_ID],
    )
    categories = read_categories(data_dir)
    for c in categories:
        conn.execute(
            """INSERT INTO taxonomy_term AS t (id, code, name, name_es, description, taxonomy, taxonomy_id,
                   urban_threshold_m, rural_threshold_m)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, name_es = EXCLUDED.name_es,
                   description = EXCLUDED.description, urban_threshold_m = EXCLUDED.urban_threshold_m,
                   rural_threshold_m = EXCLUDED.rural_threshold_m
               WHERE (t.name, t.name_es, t.description, t.urban_threshold_m, t.rural_threshold_m)
                     IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.name_es, EXCLUDED.description,
                                       EXCLUDED.urban_threshold_m, EXCLUDED.rural_threshold_m)""",
            [term_id(c.code), c.code, c.name, c.name_es, c.description, TAXONOMY, TAXONOMY_ID,
             c.urban_threshold_m, c.rural_threshold_m],
        )
    stages = read_stages(data_dir)
    for s in stages:
        conn.execute(
            """INSERT INTO landscape_stage AS l (code, position, name, name_es, description)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET position = EXCLUDED.position, name = EXCLUDED.name,
                   name_es = EXCLUDED.name_es, description = EXCLUDED.description
               WHERE (l.position, l.name, l.name_es, l.description)
                     IS DISTINCT FROM (EXCLUDED.position, EXCLUDED.name, EXCLUDED.name_es, EXCLUDED.description)""",
            [s.code, s.position, s.name, s.name_es, s.description],
        )
    return len(categories), len(stages)
