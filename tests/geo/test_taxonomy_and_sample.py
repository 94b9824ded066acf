"""Taxonomy as editable data, and the SAMPLE services."""

from __future__ import annotations

import shutil

from geo.sample import load_sample
from geo.taxonomy import load_taxonomy, read_categories


def test_twenty_categories_and_six_landscape_stages_are_loaded(conn, settings):
    assert conn.execute("SELECT count(*) AS n FROM taxonomy_term").fetchone()["n"] == 20
    stages = [r["code"] for r in conn.execute("SELECT code FROM landscape_stage ORDER BY position")]
    assert stages == ["prevention", "early-help", "investigation", "court", "placement", "aftercare"]
    assert len(read_categories(settings.data_dir)) == 20


def test_editing_a_category_threshold_in_csv_changes_it_without_code(conn, settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir / "taxonomy", data / "taxonomy")
    csv_path = data / "taxonomy" / "categories.csv"
    csv_path.write_text(csv_path.read_text().replace("food,Food,Alimentos", "food,Food and nutrition,Alimentos"))
    text = csv_path.read_text().splitlines()
    text = [ln.replace(",1609,16093", ",2000,20000") if ln.startswith("food,") else ln for ln in text]
    csv_path.write_text("\n".join(text) + "\n")
    load_taxonomy(conn, data)
    row = conn.execute(
        "SELECT name, urban_threshold_m, rural_threshold_m FROM taxonomy_term WHERE code = 'food'"
    ).fetchone()
    assert (row["name"], row["urban_threshold_m"], row["rural_threshold_m"]) == ("Food and nutrition", 2000, 20000)


def test_sample_services_cover_every_category_in_missouri_and_massachusetts(conn):
    row = conn.execute(
        """SELECT count(*) AS n, count(*) FILTER (WHERE NOT s.is_sample) AS unlabelled,
                  count(*) FILTER (WHERE s.name NOT LIKE 'Sample: %%') AS unnamed,
                  count(*) FILTER (WHERE s.confidential) AS confidential,
                  count(DISTINCT left(l.county_fips, 2)) AS states,
                  count(*) FILTER (WHERE l.county_fips IS NULL) AS unplaced
           FROM service s JOIN service_at_location sal ON sal.service_id = s.id
           JOIN location l ON l.id = sal.location_id WHERE s.source = 'sample'"""
    ).fetchone()
    assert row["n"] == 3000 and row["unlabelled"] == 0 and row["unnamed"] == 0
    assert 0 < row["confidential"] < 150
    assert row["states"] == 2 and row["unplaced"] == 0
    per_category = conn.execute(
        """SELECT t.code, count(*) AS n FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
           WHERE a.link_entity = 'service' GROUP BY t.code"""
    ).fetchall()
    assert len(per_category) == 20 and min(r["n"] for r in per_category) >= 100


def test_sample_points_lie_in_the_state_of_their_address(conn):
    wrong = conn.execute(
        """SELECT count(*) AS n FROM location l JOIN address a ON a.location_id = l.id
           WHERE l.source = 'sample' AND left(l.county_fips, 2) <> CASE a.state_province
                 WHEN 'MO' THEN '29' WHEN 'MA' THEN '25' END"""
    ).fetchone()
    assert wrong["n"] == 0


def test_loading_the_sample_again_changes_nothing(conn, settings):
    ids = [r["id"] for r in conn.execute("SELECT id FROM service WHERE source='sample' ORDER BY id")]
    assert load_sample(conn, settings.data_dir, count=3000) == 0
    assert [r["id"] for r in conn.execute("SELECT id FROM service WHERE source='sample' ORDER BY id")] == ids


def test_regenerating_the_sample_gives_the_same_ids(conn, settings):
    ids = [r["id"] for r in conn.execute("SELECT id FROM service WHERE source='sample' ORDER BY id")]
    conn.execute("UPDATE import_run SET summary = summary || '{\"tag\": \"stale\"}' WHERE source = 'sample'")
    assert load_sample(conn, settings.data_dir, count=3000) == 3000
    assert [r["id"] for r in conn.execute("SELECT id FROM service WHERE source='sample' ORDER BY id")] == ids
