"""API keys: only a salted hash is stored, revoked or altered keys fail, regions resolve strictly."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from geo.errors import BadRequest
from geo.keys import (
    NotAllowed,
    NotAuthenticated,
    authenticate,
    check_counties,
    create_key,
    revoke_key,
)


def test_only_a_salted_hash_is_stored_and_the_secret_authenticates(conn):
    key, secret = create_key(conn, "hash test", "editor", ["MO-16"])
    row = conn.execute("SELECT * FROM api_key WHERE id = %s", [key.id]).fetchone()
    stored = " ".join(str(v) for v in row.values())
    assert secret.split("_")[2] not in stored and len(bytes(row["hash"])) == 32
    assert authenticate(conn, secret).id == key.id
    assert key.regions == ("circuit:MO-16",)
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    with pytest.raises(NotAuthenticated):
        authenticate(conn, tampered)
    revoke_key(conn, key.prefix)
    with pytest.raises(NotAuthenticated):
        authenticate(conn, secret)


def test_two_keys_with_the_same_secret_text_have_different_hashes(conn):
    a, _ = create_key(conn, "a", "admin")
    b, _ = create_key(conn, "b", "admin")
    rows = conn.execute("SELECT salt, hash FROM api_key WHERE id = ANY(%s)", [[a.id, b.id]]).fetchall()
    assert rows[0]["salt"] != rows[1]["salt"] and rows[0]["hash"] != rows[1]["hash"]


def test_regions_resolve_strictly_and_editors_need_one(conn):
    with pytest.raises(BadRequest, match="not found"):
        create_key(conn, "typo", "editor", ["MO-61"])
    with pytest.raises(BadRequest, match="at least one region"):
        create_key(conn, "none", "editor", [])
    key, _ = create_key(conn, "suffolk", "editor", ["MA-suffolk", "county:29095", "29"])
    assert key.regions == ("county:29095", "division:MA-suffolk", "state:29")


def test_a_county_is_inside_its_circuit_its_state_and_itself_only(conn):
    circuit, _ = create_key(conn, "c", "editor", ["MO-16"])
    state, _ = create_key(conn, "s", "editor", ["29"])
    check_counties(conn, circuit, ["29095"])
    check_counties(conn, state, ["29095", "29510"])
    for counties in (["29510"], ["29095", "29510"], [None], []):
        with pytest.raises(NotAllowed):
            check_counties(conn, circuit, counties)
    with pytest.raises(NotAllowed):
        check_counties(conn, state, ["25025"])


def test_keys_cli_prints_the_secret_once_lists_and_revokes(settings, monkeypatch, committed_conn):
    from service.cli import app

    monkeypatch.setenv("ATLAS_DATABASE_URL", settings.url())
    runner = CliRunner()
    made = runner.invoke(app, ["keys", "create", "--name", "cli test", "--role", "editor", "--region", "MO-16"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("atk_")
    try:
        listed = runner.invoke(app, ["keys", "list"])
        line = next(x for x in listed.stdout.splitlines() if "cli test" in x)
        assert "circuit:MO-16" in line and "active" in line and secret not in listed.stdout
        key_id = line.split("\t")[0]
        assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
        assert "revoked" in next(x for x in runner.invoke(app, ["keys", "list"]).stdout.splitlines() if "cli test" in x)
        bad = runner.invoke(app, ["keys", "create", "--name", "x", "--role", "editor", "--region", "ZZ-1"])
        assert bad.exit_code == 1
    finally:
        committed_conn.execute("DELETE FROM api_key WHERE name = 'cli test'")
