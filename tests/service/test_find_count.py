"""/find words a count that stopped at the cap (issue 12): "More than 500 services found", and the
pager says its page total is at least that ("Page 1 of 25+"); a count below the cap is exact."""

from __future__ import annotations

import re

from geo.search import TOTAL_ITEMS_CAP


def _heading(text: str) -> str:
    found = re.search(r'<h2 id="results-heading"[^>]*>([^<]*)</h2>', text)
    assert found, text[:500]
    return found.group(1)


def test_a_dense_search_says_more_than_the_cap_and_a_sparse_one_counts(client):
    # The test database's 3,000 sample services: ~880 within 40 km of Boston, ~160 of Kansas City.
    dense = client.post("/find", data={"near": "42.3601,-71.0589", "radius_km": "40"})
    assert dense.status_code == 200
    assert _heading(dense.text) == f"More than {TOTAL_ITEMS_CAP} services found"
    assert f"Page 1 of {TOTAL_ITEMS_CAP // 20}+" in dense.text
    spanish = client.post("/find?lang=es", data={"near": "42.3601,-71.0589", "radius_km": "40"})
    assert _heading(spanish.text) == f"Más de {TOTAL_ITEMS_CAP} servicios encontrados"
    sparse = client.post("/find", data={"near": "39.0997,-94.5786", "radius_km": "10"})
    assert re.fullmatch(r"\d+ services found", _heading(sparse.text))
    assert "+</p>" not in sparse.text
