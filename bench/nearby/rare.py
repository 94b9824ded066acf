"""A category rare around Kansas City, for bench/nearby's rare-filter search: RARE_COUNT services
spread over Missouri's towns (as the sample places them, by population), in a bench-only category
RARE_CATEGORY, also the only ones speaking Somali (`so`). The sample gives every category ~5 % of
its services, so without these a rare filter in a dense area could not be measured.

Written as the sample is, by the directory's one writer (write_records, copies by the triggers), in
the bench database only; a second call finds them there and does nothing.
"""

from __future__ import annotations

import math
import random

import psycopg
from psycopg.rows import dict_row

from geo.copies import sync_copies
from geo.fields import Hours, Phone
from geo.importer.apply import write_records
from geo.importer.records import Place as RecordPlace
from geo.importer.records import Record
from geo.sample import STATES, places
from geo.taxonomy import TAXONOMY, TAXONOMY_ID, term_id

SOURCE = "bench-rare"
RARE_CATEGORY = "bench-rare-court"
RARE_LANGUAGE = "so"
RARE_COUNT = 40


def rare_records() -> list[Record]:
    rng = random.Random(12)
    towns = [p for p in places() if p.state == "MO"]
    chosen = rng.choices(towns, [math.sqrt(p.population) for p in towns], k=RARE_COUNT)
    records = []
    for i, town in enumerate(chosen):
        sid = f"bench-rare-{i:03d}"
        name = f"Sample: {town.name} Family Drug Court Partner"
        records.append(Record(
            file="bench", line=i + 1, source_id=sid, name=name, organization=name, organization_id=sid,
            description="SAMPLE DATA for bench/nearby: a category with a few dozen services in the state.",
            categories=[RARE_CATEGORY], stages=["court"], languages=["en", RARE_LANGUAGE],
            phones=[Phone(f"(573) 555-01{i % 100:02d}", None, "voice")],
            hours=[Hours("MO,TU,WE,TH,FR", "09:00", "17:00")], costs=["free"],
            places=[RecordPlace(source_id=sid, name=name, address_1=f"{100 + i} Court St", city=town.name,
                                state="MO", postal_code=town.zip_code or "00000",
                                latitude=round(town.lat + rng.gauss(0, 0.01), 6),
                                longitude=round(town.lon + rng.gauss(0, 0.01), 6), precision="rooftop",
                                geocode_source="bench", tz_name=STATES["MO"][1])],
        ))
    return records


def ensure_rare_services(url: str) -> int:
    """The rare category and its services in the bench database at `url`; returns how many were written."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        have = conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [SOURCE]).fetchone()
        if have and have["n"] == RARE_COUNT:
            return 0
        conn.execute(
            """INSERT INTO taxonomy_term (id, code, name, name_es, description, taxonomy, taxonomy_id,
                                          urban_threshold_m, rural_threshold_m)
               VALUES (%s, %s, 'Family drug court partner (bench)', 'Socio del tribunal de drogas (bench)',
                       'bench/nearby only: a category with a few dozen services in the state', %s, %s, 16000, 80000)
               ON CONFLICT (id) DO NOTHING""",
            [term_id(RARE_CATEGORY), RARE_CATEGORY, TAXONOMY, TAXONOMY_ID])
        run = conn.execute("INSERT INTO import_run (source, kind) VALUES (%s, 'bench') RETURNING id",
                           [SOURCE]).fetchone()
        assert run is not None
        write_records(conn, SOURCE, run["id"], rare_records(), is_sample=True)
        sync_copies(conn)
        conn.execute("UPDATE import_run SET status = 'done', finished_at = now() WHERE id = %s", [run["id"]])
    return RARE_COUNT
