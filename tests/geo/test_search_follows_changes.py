"""Nearby search sees what imports and edits change, in the same transaction that changes it."""

from __future__ import annotations

import json

from geo.edits import LocationIn, OrganizationIn, ServiceIn, create_service, retire
from geo.importer.run import ImportOptions, import_path
from geo.keys import create_key
from geo.search import NearbyFilter, nearby_services_json

COLUMBIA = (38.9517, -92.3341)
HEADER = "id,name,organization,address,city,state,zip,phone,website,categories,stages,languages,capacity,hours,latitude,longitude,confidential,description\n"


def names_near(conn, category: str) -> list[str]:
    page = json.loads(nearby_services_json(conn, lat=COLUMBIA[0], lon=COLUMBIA[1], radius_m=3000,
                                           filters=NearbyFilter(category=category), per_page=100))
    return [item["name"] for item in page["contents"]]


def test_an_imported_service_is_found_by_nearby_search(conn, tmp_path):
    sheet = tmp_path / "pantries.csv"
    sheet.write_text(HEADER + 'p1,Zeta Test Pantry,Zeta Org,1 Elm St,Columbia,MO,65201,(573) 874-1234,,food,,en,40,,'
                     f"{COLUMBIA[0]},{COLUMBIA[1]},false,Food on Fridays\n")
    report = import_path(conn, sheet, ImportOptions(source="zeta-test", write_rejects=False))
    assert report.committed and report.inserted == 1, report.errors
    assert "Zeta Test Pantry" in names_near(conn, "food")


def test_a_service_created_then_retired_through_editing_comes_and_goes_in_search(conn):
    key, _secret = create_key(conn, "search-follow test", "admin")
    created = create_service(conn, key, ServiceIn(
        name="Zeta Parenting Circle", categories=["parenting-education"],
        organization=OrganizationIn(name="Zeta Families"),
        location=LocationIn(latitude=COLUMBIA[0], longitude=COLUMBIA[1]),
    ))
    assert "Zeta Parenting Circle" in names_near(conn, "parenting-education")
    retire(conn, key, "service", created["id"])
    assert "Zeta Parenting Circle" not in names_near(conn, "parenting-education")
