"""schemathesis against the app's own OpenAPI: whatever it sends to each operation (valid data and
deliberately invalid data, with an admin key so writes get past authentication), the app never
answers with a 5xx, and every error is JSON with a message. Bounded by MAX_EXAMPLES per operation
and generation mode so it runs in a few minutes on CI."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from psycopg.rows import dict_row
from schemathesis import GenerationMode

from geo.keys import create_key
from geo.settings import Settings
from service.app import create_app
from tests.service.editing import cleanup_edits

FUZZ_KEY = "test fuzz admin"
MAX_EXAMPLES = 20
# The operations, read from the app's OpenAPI (no database needed for that) to name each test.
OPERATIONS = [
    op.ok().label for op in schemathesis.openapi.from_dict(create_app(Settings()).openapi()).get_all_operations()
]


@pytest.fixture(scope="module")
def fuzz_secret(settings) -> Iterator[str]:
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        cleanup_edits(conn, [FUZZ_KEY])
        yield create_key(conn, FUZZ_KEY, "admin")[1]
        cleanup_edits(conn, [FUZZ_KEY])


@pytest.fixture(scope="module")
def api_schema(live_server):
    """Over real HTTP to `atlas serve` (in-process ASGI calls would re-run the app's lifespan)."""
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_no_request_gets_a_5xx_and_every_error_is_json(api_schema, fuzz_secret, label, mode):
    operation = api_schema.find_operation_by_label(label)
    auth = {"Authorization": f"Bearer {fuzz_secret}"}
    statuses: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))
    def one_case(case) -> None:
        response = case.call(headers={**(case.headers or {}), **auth})
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                             response.text[:500])
        content_type = (response.headers.get("content-type") or [""])[0]
        if response.status_code >= 400 and not content_type.startswith("text/html"):
            # API errors are JSON with a message; pages (/find) answer people with an HTML page.
            assert content_type.startswith("application/json"), response.text[:200]
            assert response.json()["detail"]
        if response.status_code >= 400 and content_type.startswith("text/html"):
            assert not case.formatted_path.startswith(("/api", "/tiles", "/health")), case.formatted_path

    try:
        one_case()
    except Unsatisfiable:
        assert mode == GenerationMode.NEGATIVE  # nothing about this operation can be made invalid
    if label == "POST /api/organizations" and mode == GenerationMode.POSITIVE:
        assert 201 in statuses  # the key works: valid writes get past authentication and are made
