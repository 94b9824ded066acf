"""/openapi.json tells the truth: schemathesis with every check (`--checks all`: status codes,
media types, response schemas and headers, Allow on unsupported methods, positive and negative
data, authentication) over every operation — reads, then writes with an editor key — finds
nothing. What the schema cannot state is configured, and said, in schemathesis*.toml here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from geo.keys import create_key
from tests.service.editing import cleanup_edits

HERE = Path(__file__).parent
KEY_NAME = "test openapi editor"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture(scope="module")
def editor_secret(settings) -> Iterator[str]:
    with psycopg.connect(settings.url(), row_factory=dict_row, autocommit=True) as conn:
        cleanup_edits(conn, [KEY_NAME])
        yield create_key(conn, KEY_NAME, "editor", ["29", "25"])[1]  # Missouri and Massachusetts
        cleanup_edits(conn, [KEY_NAME])


def _schemathesis(url: str, config: str, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """The schemathesis command (its own state goes in `workdir`)."""
    return subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(HERE / config), "run", f"{url}/openapi.json", "--checks", "all",
         "--max-examples", "10", "--seed", "1", "--no-color", "--suppress-health-check", "all", *args],
        capture_output=True, text=True, timeout=900, check=False, cwd=workdir)


def test_every_read_answers_as_the_openapi_says(live_server, tmp_path):
    run = _schemathesis(live_server.url, "schemathesis.toml", tmp_path, "--include-method", "GET")
    assert run.returncode == 0, run.stdout[-6000:]


def test_every_write_with_an_editor_key_answers_as_the_openapi_says(live_server, editor_secret, tmp_path):
    run = _schemathesis(live_server.url, "schemathesis-writes.toml", tmp_path, "--exclude-method", "GET",
                        "--header", f"Authorization: Bearer {editor_secret}")
    assert run.returncode == 0, run.stdout[-6000:]
