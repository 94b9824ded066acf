"""Nearby search at directory scale (issue 12) on a dense fixture: the page read in index order and
re-ranked on the ellipsoid gives exactly the all-ellipsoid order, page after page; total_items is
exact whenever the page does not say it is a lower bound; and filters rare around the searcher
(a category, a language, open now at night) give what the query before issue 12 gave."""

from __future__ import annotations

import json
import math
import random
import uuid
from datetime import UTC, datetime

import pytest

from geo.copies import refresh_copies
from geo.overlay import assign_counties
from geo.search import SCAN_ROWS, TOTAL_ITEMS_CAP, make_filter, nearby_services_json
from geo.taxonomy import term_id
from tests.search_data import CASPER, ServiceSpec, add_services

LAT, LON = CASPER
SOURCE = "search-scale-test"
SERVICES = 1_300  # more than SCAN_ROWS within a few km, so a rare filter outruns the bounded scan
HUB = 40  # services sharing one address: ties in every distance
# Tuesday 24 November 2026, 03:00 in Casper (America/Denver): only the 24-hour services are open.
NIGHT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
RARE_CATEGORY, RARE_LANGUAGE = "legal-aid", "so"


def _fixture_rows() -> list[dict]:
    """Deterministic services within ~4 km of the point: a uniform disk, a hub of HUB services at one
    address, and points due north and due east at the same sphere distance (which the ellipsoid
    orders differently). Rare: legal aid (12), Somali (9), open all night (15)."""
    rng = random.Random(12)
    points = []
    for _ in range(SERVICES - HUB - 40):
        r, a = 4_000 * math.sqrt(rng.random()), rng.random() * 2 * math.pi
        points.append((LAT + r * math.sin(a) / 111_000, LON + r * math.cos(a) / (111_000 * math.cos(math.radians(LAT)))))
    points += [(LAT + 0.0091, LON + 0.0123)] * HUB
    for k in range(20):  # north and east at 500 m + 50 m k on the sphere
        deg = (500 + 50 * k) / 6_371_008.8 * 180 / math.pi
        points += [(LAT + deg, LON), (LAT, LON + deg / math.cos(math.radians(LAT)))]
    rows = []
    for i, (lat, lon) in enumerate(points):
        rows.append({
            "i": i, "lat": lat, "lon": lon,
            "category": RARE_CATEGORY if i % 107 == 3 else ("mental-health" if i % 5 == 0 else "food"),
            "language": RARE_LANGUAGE if i % 139 == 7 else "es" if i % 3 == 0 else None,
            "all_night": i % 83 == 11,
            "insurance": i % 25 == 0,  # a filter with no index of its own, matching 4 %
        })
    return rows


def add_dense_services(conn) -> list[dict]:
    """The fixture, written set-based (one statement per table) and copied to the search table."""
    return add_rows(conn, _fixture_rows(), SOURCE)


def add_rows(conn, rows: list[dict], source: str) -> list[dict]:
    """Services as _fixture_rows gives them, one statement per table; each row gains its search id."""
    ids = {key: [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}/{key}/{r['i']}")) for r in rows]
           for key in ("org", "svc", "loc", "sal")}
    conn.execute("""INSERT INTO organization (id, name, source, source_id)
                    SELECT id, 'Scale org ' || n, %s, id FROM unnest(%s::text[]) WITH ORDINALITY AS u(id, n)""",
                 [source, ids["org"]])
    conn.execute("""INSERT INTO service (id, organization_id, name, source, source_id)
                    SELECT s, o, 'Scale service ' || n, %s, s
                    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS u(s, o, n)""",
                 [source, ids["svc"], ids["org"]])
    conn.execute("""INSERT INTO location (id, organization_id, name, latitude, longitude, geom, source, source_id)
                    SELECT l, o, 'Scale site', y, x, ST_SetSRID(ST_MakePoint(x, y), 4326), %s, l
                    FROM unnest(%s::text[], %s::text[], %s::float8[], %s::float8[]) AS u(l, o, y, x)""",
                 [source, ids["loc"], ids["org"], [r["lat"] for r in rows], [r["lon"] for r in rows]])
    conn.execute("""INSERT INTO service_at_location (id, service_id, location_id, source)
                    SELECT a, s, l, %s FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(a, s, l)""",
                 [source, ids["sal"], ids["svc"], ids["loc"]])
    conn.execute("""INSERT INTO attribute (link_id, taxonomy_term_id, link_entity)
                    SELECT s, t, 'service' FROM unnest(%s::text[], %s::text[]) AS u(s, t)""",
                 [ids["svc"], [term_id(r["category"]) for r in rows]])
    conn.execute("""INSERT INTO service_stage (service_id, stage_code)
                    SELECT s, 'prevention' FROM unnest(%s::text[]) AS s""", [ids["svc"]])
    spoken = [(s, r["language"]) for s, r in zip(ids["svc"], rows, strict=True) if r["language"]]
    conn.execute("""INSERT INTO language (service_id, code, name)
                    SELECT s, c, c FROM unnest(%s::text[], %s::text[]) AS u(s, c)""",
                 [[s for s, _ in spoken], [c for _, c in spoken]])
    conn.execute("""INSERT INTO schedule (service_id, freq, byday, opens_at, closes_at, tz_name)
                    SELECT s, 'WEEKLY', CASE WHEN n THEN 'MO,TU,WE,TH,FR,SA,SU' ELSE 'MO,TU,WE,TH,FR' END,
                           CASE WHEN n THEN time '00:00' ELSE time '09:00' END,
                           CASE WHEN n THEN time '23:59:59' ELSE time '17:00' END, 'America/Denver'
                    FROM unnest(%s::text[], %s::bool[]) AS u(s, n)""",
                 [ids["svc"], [r["all_night"] for r in rows]])
    conn.execute("""INSERT INTO cost_option (service_id, option)
                    SELECT s, 'insurance' FROM unnest(%s::text[]) AS s""",
                 [[s for s, r in zip(ids["svc"], rows, strict=True) if r["insurance"]]])
    assign_counties(conn, source)
    refresh_copies(conn, ids["svc"])
    for r, sal in zip(rows, ids["sal"], strict=True):
        r["id"] = sal
    return rows


@pytest.fixture
def dense(conn) -> list[dict]:
    return add_dense_services(conn)


def search(conn, *, radius_m: float = 20_000, page: int = 1, per_page: int = 20, at: datetime = NIGHT,
           **filters) -> dict:
    return json.loads(nearby_services_json(conn, lat=LAT, lon=LON, radius_m=radius_m, filters=make_filter(**filters),
                                           page=page, per_page=per_page, at=at))


def reference(conn, *, radius_m: float = 20_000, category: str | None = None, language: str | None = None,
              open_now: bool = False, cost: str | None = None, at: datetime = NIGHT) -> list[tuple[str, int]]:
    """Every match by ST_Distance on the ellipsoid, no index and no sphere: (id, metres), nearest first."""
    rows = conn.execute(
        """SELECT id, d FROM (
               SELECT id, ST_Distance(geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, true) AS d
               FROM service_point
               WHERE (%(category)s::text IS NULL OR categories @> ARRAY[%(category)s::text])
                 AND (%(language)s::text IS NULL OR languages @> ARRAY[%(language)s::text])
                 AND (NOT %(open_now)s OR open_week @> local_week_second(%(at)s, tz_name))
                 AND (%(cost)s::text IS NULL OR costs @> ARRAY[%(cost)s::text])) s
           WHERE d <= %(radius_m)s ORDER BY d, id""",
        {"lat": LAT, "lon": LON, "radius_m": radius_m, "category": category, "language": language,
         "open_now": open_now, "cost": cost, "at": at}).fetchall()
    return [(r["id"], round(r["d"])) for r in rows]


def listed(page: dict) -> list[tuple[str, int]]:
    return [(item["id"], item["distance_m"]) for item in page["contents"]]


def test_the_fixture_is_dense_rare_and_tied_where_it_should_be(conn, dense):
    assert len(reference(conn)) == SERVICES > SCAN_ROWS
    assert 10 <= len(reference(conn, category=RARE_CATEGORY)) <= 15
    assert 5 <= len(reference(conn, language=RARE_LANGUAGE)) <= 12
    assert 10 <= len(reference(conn, open_now=True)) <= 20
    hub = [d for _, d in reference(conn)]
    assert max(hub.count(d) for d in set(hub)) >= HUB
    # Due north and due east at one sphere distance are apart on the ellipsoid: the order matters.
    north, east = (conn.execute(
        """SELECT ST_Distance(ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography,
                              ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, true) AS d""",
        [LON, LAT, LON + dlon, LAT + dlat]).fetchone()["d"] for dlat, dlon in ((0.0045, 0), (0, 0.0045 / math.cos(math.radians(LAT)))))
    assert abs(north - east) > 1


@pytest.mark.parametrize("per_page", [1, 7, 20, 100])
def test_every_page_is_in_true_ellipsoidal_order(conn, dense, per_page):
    expected = reference(conn, radius_m=3_000)
    got: list[tuple[str, int]] = []
    for number in range(1, 400):
        page = search(conn, radius_m=3_000, page=number, per_page=per_page)
        got += listed(page)
        if page["last_page"] or len(got) >= 260:
            break
    assert got == expected[:len(got)] and len(got) >= min(260, len(expected))


def test_filtered_pages_are_in_true_ellipsoidal_order(conn, dense):
    for filters in ({"category": "mental-health"}, {"language": "es"}, {"category": RARE_CATEGORY},
                    {"open_now": True}):
        expected = reference(conn, radius_m=5_000, **filters)
        pages = [search(conn, radius_m=5_000, page=n, per_page=20, **filters) for n in (1, 2, 3)]
        got = [row for page in pages for row in listed(page)]
        assert got == expected[:60], filters


def test_total_items_is_exact_whenever_the_page_does_not_say_it_is_a_lower_bound(conn, dense):
    everyone = reference(conn)
    assert len(everyone) > TOTAL_ITEMS_CAP + 1
    # A radius holding exactly the cap, then one more: the edge of exactness.
    at_cap = (everyone[TOTAL_ITEMS_CAP - 1][1] + everyone[TOTAL_ITEMS_CAP][1]) / 2
    for radius, filters in ((at_cap, {}), (1_000, {}), (2_500, {"category": "mental-health"}),
                            (20_000, {"category": "mental-health"}), (20_000, {"category": RARE_CATEGORY}),
                            (20_000, {"open_now": True}), (20_000, {"language": RARE_LANGUAGE})):
        n = len(reference(conn, radius_m=radius, **filters))
        page = search(conn, radius_m=radius, **filters)
        if n <= TOTAL_ITEMS_CAP:
            assert (page["total_items"], page["total_items_is_lower_bound"]) == (n, False), (radius, filters)
            assert page["total_pages"] == math.ceil(n / 20) and page["last_page"] == (n <= 20)
    # One more than the cap and beyond: the cap, flagged, and never called the last page.
    for radius in ((everyone[TOTAL_ITEMS_CAP][1] + everyone[TOTAL_ITEMS_CAP + 1][1]) / 2, 20_000):
        page = search(conn, radius_m=radius)
        assert (page["total_items"], page["total_items_is_lower_bound"]) == (TOTAL_ITEMS_CAP, True)
        assert page["total_pages"] == TOTAL_ITEMS_CAP // 20 and not page["last_page"]
        last_counted = search(conn, radius_m=radius, page=TOTAL_ITEMS_CAP // 20)
        assert last_counted["total_items_is_lower_bound"] and not last_counted["last_page"]
    # A filter no index serves, matching 4 %: the page is found within the scan's bound, and counting
    # on would read the whole radius, so the page says more than (matches seen - 1) and never "last".
    insured = reference(conn, cost="insurance")
    assert SCAN_ROWS < SERVICES and (SCAN_ROWS // 25) > 25
    page = search(conn, cost="insurance")
    assert listed(page) == insured[:20] and page["total_items_is_lower_bound"] and not page["last_page"]
    assert 20 <= page["total_items"] < len(insured)
    second = search(conn, cost="insurance", page=2)
    assert listed(second) == insured[20:40]
    # Deeper than the cap, the count reaches past the page: exact again at the end.
    deep = search(conn, radius_m=20_000, page=math.ceil(SERVICES / 100), per_page=100)
    assert (deep["total_items"], deep["total_items_is_lower_bound"], deep["last_page"]) == (SERVICES, False, True)
    assert listed(deep) == everyone[(deep["page_number"] - 1) * 100:]
    middle = search(conn, radius_m=20_000, page=8, per_page=100)
    assert (middle["total_items"], middle["total_items_is_lower_bound"], middle["last_page"]) == (800, True, False)


def test_the_ring_between_sphere_and_ellipsoid_is_read_past_the_scan(conn, dense):
    # In the dense fixture (more food services than the cap: the page is read in index order), thirty
    # services due east at 30.00-30.03 m on the sphere come first in index order and fill the scan of
    # a 20-service page and its margin; twelve due north at 30.04 m on the sphere are nearer on the
    # ellipsoid (~30.01 m against ~30.08 m): they lead the true order, past where the scan stopped.
    per_degree = 6_371_008.8 * math.pi / 180
    east = [ServiceSpec(f"east {j:02d}", LAT, LON + (30 + 0.001 * j) / (per_degree * math.cos(math.radians(LAT))))
            for j in range(30)]
    north = [ServiceSpec(f"north {j:02d}", LAT + (30.04 + 0.0001 * j) / per_degree, LON) for j in range(12)]
    add_services(conn, east + north)
    for filters in ({}, {"category": "food"}):  # counted by the KNN scan itself; by the GIN index first
        page = search(conn, radius_m=20_000, **filters)
        names = [item["name"] for item in page["contents"]]
        assert names == [s.name for s in north] + [s.name for s in east[:8]], filters
        assert (page["total_items"], page["total_items_is_lower_bound"]) == (TOTAL_ITEMS_CAP, True)
        assert listed(page) == reference(conn, **filters)[:20]


def test_the_count_from_map_cells_never_counts_a_service_outside_the_radius(conn):
    # Without a filter the page knows it is over the cap when the map's cell counts in a square
    # inside the radius already reach it. 600 services lie just outside a 20 km radius on the
    # diagonals, where a square reaching the circle's edge (r on each side) would hold them, and 12
    # inside: the page must count exactly 12.
    lat, lon, radius = 44.0, -107.5, 20_000
    placed = conn.execute(
        """SELECT ST_Y(g::geometry) AS lat, ST_X(g::geometry) AS lon
           FROM (SELECT ST_Project(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                                   %(r)s * CASE WHEN k < 12 THEN 0.5 ELSE 1.002 + 0.1 * (k %% 150) / 150 END,
                                   radians(CASE WHEN k < 12 THEN 30 * k ELSE 45 + 90 * (k %% 4) END)) AS g
                 FROM generate_series(0, 611) AS k) p""",
        {"lat": lat, "lon": lon, "r": radius}).fetchall()
    rows = [{"i": i, "lat": p["lat"], "lon": p["lon"], "category": "food", "language": None, "all_night": False,
             "insurance": False} for i, p in enumerate(placed)]
    add_rows(conn, rows, "search-scale-ring")
    page = json.loads(nearby_services_json(conn, lat=lat, lon=lon, radius_m=radius))
    assert (page["total_items"], page["total_items_is_lower_bound"], page["last_page"]) == (12, False, True)
    # With the radius past them all, they are all counted: more than the cap.
    wide = json.loads(nearby_services_json(conn, lat=lat, lon=lon, radius_m=radius * 1.35))
    assert (wide["total_items"], wide["total_items_is_lower_bound"]) == (TOTAL_ITEMS_CAP, True)


def old_page(conn, *, radius_m: float, page: int, per_page: int, at: datetime, **kw) -> dict:
    f = make_filter(**kw)
    return json.loads(conn.execute(OLD_NEARBY_SQL, {
        "lat": LAT, "lon": LON, "radius_m": radius_m, "category": f.category, "stage": f.stage,
        "language": f.language, "cost": f.cost, "age": f.age, "open_now": f.open_now, "at": at,
        "page": page, "size": per_page, "offset": (page - 1) * per_page}).fetchone()["page"])


@pytest.mark.parametrize("filters", [
    {"category": RARE_CATEGORY}, {"language": RARE_LANGUAGE}, {"open_now": True},
    {"category": RARE_CATEGORY, "open_now": True}, {"category": "mental-health", "language": RARE_LANGUAGE},
    {"category": "child-care"},  # none at all here
])
def test_rare_filters_give_what_the_old_query_gave(conn, dense, filters):
    for radius, page, per_page, at in ((20_000, 1, 20, NIGHT), (3_000, 1, 5, NIGHT), (20_000, 2, 5, NIGHT),
                                       (200_000, 1, 100, NIGHT), (1_500, 1, 20, datetime(2026, 11, 24, 18, tzinfo=UTC))):
        new = search(conn, radius_m=radius, page=page, per_page=per_page, at=at, **filters)
        old = old_page(conn, radius_m=radius, page=page, per_page=per_page, at=at, **filters)
        if new.pop("total_items_is_lower_bound"):  # only where no index serves the filter: open now
            assert "category" not in filters and "language" not in filters
            assert new["contents"] == old["contents"] and new["total_items"] < old["total_items"], (radius, page)
            assert not new["last_page"] and not old["last_page"]
        else:
            assert new == old, (radius, page)


# The nearby query before issue 12 (geo/sql/nearby_services.sql at 42fbfaa), kept verbatim as the
# reference: it materialised every match in the radius, so it was exact by construction.
OLD_NEARBY_SQL = """-- Nearest services to a point, as one HSDS Page of JSON built here (one round trip).
--
-- Distances are metres on the ellipsoid (geography, use_spheroid). The geography distance operator
-- `<->` is on the sphere, which differs from the ellipsoid by at most ~0.6 %%, so:
--   1. `candidates`: one GiST scan for the matches (filters read from the same denormalised rows,
--      no joins) within the radius plus 1 %% on the sphere, a superset of those within it on the
--      ellipsoid, each with its cheap sphere distance `ds`;
--   2. `knn`: the first (offset + size) candidates by `<->`, and the largest ellipsoidal distance
--      among them, X;
--   3. `ranked`: every candidate within X (on the ellipsoid, and within the radius) re-ranked by
--      ST_Distance on the ellipsoid. Exact: the true first (offset + size) all lie within X.
-- `total` counts on the sphere and pays for the ellipsoid only in the ±1 %% band at the radius.
-- Confidential sites are stored at their county's point: their distance is to the county and is
-- shown only as a coarse band, never in metres.
WITH candidates AS MATERIALIZED (
    SELECT sp.id, sp.geog, sp.geog <-> ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography AS ds
    FROM service_point sp
    WHERE ST_DWithin(sp.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography,
                     %(radius_m)s * 1.01, false)
      AND (%(category)s::text IS NULL OR sp.categories @> ARRAY[%(category)s::text])
      AND (%(stage)s::text IS NULL OR sp.stages @> ARRAY[%(stage)s::text])
      AND (%(language)s::text IS NULL OR sp.languages @> ARRAY[%(language)s::text])
      AND (%(cost)s::text IS NULL OR sp.costs @> ARRAY[%(cost)s::text])
      AND (%(age)s::numeric IS NULL OR ((sp.minimum_age IS NULL OR sp.minimum_age <= %(age)s)
                                        AND (sp.maximum_age IS NULL OR sp.maximum_age >= %(age)s)))
      AND (NOT %(open_now)s OR sp.open_week @> local_week_second(%(at)s, sp.tz_name)
           OR (sp.open_dated AND schedule_open_at(sp.service_id, sp.id, %(at)s)))
), knn AS (
    SELECT ST_Distance(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
    FROM candidates c
    ORDER BY c.ds
    LIMIT %(offset)s + %(size)s
), bound AS (
    SELECT max(d) * 1.0001 + 1 AS x FROM knn  -- slack: the re-rank below re-checks exactly
), ranked AS (
    SELECT e.id, e.d
    FROM (SELECT c.id, ST_Distance(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS d
          FROM candidates c
          WHERE c.ds <= (SELECT x FROM bound) * 1.01  -- the sphere test first: the ellipsoid for few
          OFFSET 0) e
    WHERE e.d <= (SELECT x FROM bound) AND e.d <= %(radius_m)s
    ORDER BY e.d, e.id
    LIMIT %(size)s OFFSET %(offset)s
), total AS (
    SELECT count(*) AS n
    FROM candidates c
    WHERE c.ds <= %(radius_m)s * 0.99
       OR ST_DWithin(c.geog, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography, %(radius_m)s)
), contents AS (
    SELECT coalesce(jsonb_agg(
        sp.doc || jsonb_build_object(
            'distance_m', CASE WHEN sp.confidential THEN NULL ELSE round(r.d::numeric) END,
            'distance_band', CASE WHEN NOT sp.confidential THEN NULL
                                  WHEN r.d <= 10000 THEN 'within 10 km (county-level)'
                                  WHEN r.d <= 25000 THEN 'within 25 km (county-level)'
                                  WHEN r.d <= 50000 THEN 'within 50 km (county-level)'
                                  WHEN r.d <= 100000 THEN 'within 100 km (county-level)'
                                  ELSE 'more than 100 km (county-level)' END,
            'open_now', CASE WHEN sp.open_week IS NULL AND NOT sp.open_dated THEN NULL
                             ELSE coalesce(sp.open_week @> local_week_second(%(at)s, sp.tz_name), false)
                                  OR (sp.open_dated AND schedule_open_at(sp.service_id, sp.id, %(at)s)) END)
        ORDER BY r.d, r.id), '[]'::jsonb) AS items,
        count(*) AS n
    FROM ranked r JOIN service_point sp ON sp.id = r.id
)
SELECT json_build_object(
    'total_items', t.n,
    'total_pages', ceil(t.n::numeric / %(size)s)::int,
    'page_number', %(page)s::int,
    'size', c.n,
    'first_page', %(page)s::int = 1,
    'last_page', %(page)s::int >= ceil(t.n::numeric / %(size)s),
    'empty', c.n = 0,
    'contents', c.items
)::text AS page,
    NOT EXISTS (SELECT 1 FROM taxonomy_term WHERE code = %(category)s::text) AND %(category)s::text IS NOT NULL
        AS unknown_category,
    NOT EXISTS (SELECT 1 FROM landscape_stage WHERE code = %(stage)s::text) AND %(stage)s::text IS NOT NULL
        AS unknown_stage
FROM total t, contents c
"""
