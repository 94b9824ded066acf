"""Helpers for tests that edit through the API (and so commit): remove what they made."""

from __future__ import annotations


def cleanup_edits(conn, names: list[str]) -> None:
    """Remove what these tests made (they commit through the app), so other tests see the sample only."""
    ids = {e: [r["entity_id"] for r in conn.execute(
        "SELECT DISTINCT entity_id FROM audit_log a JOIN api_key k ON k.id = a.key_id "
        "WHERE a.entity = %s AND a.action = 'create' AND k.name = ANY(%s)", [e, names])]
        for e in ("service", "location", "organization")}
    conn.execute("DELETE FROM attribute WHERE link_entity = 'service' AND link_id = ANY(%s)", [ids["service"]])
    for table in ("service", "location", "organization"):
        conn.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [ids[table]])  # noqa: S608 - fixed names
    conn.execute("DELETE FROM audit_log WHERE key_id IN (SELECT id FROM api_key WHERE name = ANY(%s))", [names])
    conn.execute("DELETE FROM api_key WHERE name = ANY(%s)", [names])
