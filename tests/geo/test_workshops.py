"""The whole Upstream cycle for one circuit on the real PostGIS: a workshop, its barriers, priorities
frozen from a desert run's gap matrix, an action plan with a quarterly update, and a later run that
shows the change ("then → now"); region checks, the audit trail and CSV of every table."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from geo import edits
from geo.deserts.model import Parameters
from geo.deserts.results import gap_matrix
from geo.deserts.runs import compute_run
from geo.edits import ServiceIn
from geo.errors import ValidationFailed
from geo.keys import NotAllowed, create_key
from geo.scope import RegionRef
from geo.workshops import export, read, write
from geo.workshops.access import visible_workshops
from geo.workshops.progress import progress
from geo.workshops.sample import load_sample_workshops
from geo.workshops.schemas import (
    ActionItemIn,
    ActionUpdateIn,
    BarrierIn,
    CellRef,
    PriorityIn,
    WorkshopIn,
    WorkshopPatch,
)

MO_41 = RegionRef("circuit", "MO-41")  # Macon and Shelby counties: a small circuit, a quick run
TOWNS = [(39.742, -92.472), (39.694, -92.043), (39.806, -92.042)]  # Macon, Shelbina, Shelbyville


def _food_run(conn) -> int:
    return compute_run(conn, MO_41, categories=["food"], params=Parameters(resolution=7))


def _audit(conn, entity: str) -> list[dict]:
    return list(conn.execute("SELECT action, entity_id, before, after FROM audit_log WHERE entity = %s "
                             "ORDER BY id", [entity]))


def test_the_whole_cycle_for_a_circuit(conn):
    editor, _ = create_key(conn, "test MO-41 editor", "editor", ["MO-41"])
    admin, _ = create_key(conn, "test admin", "admin")
    _food_run(conn)
    workshop_id = write.create_workshop(conn, editor, WorkshopIn(
        region="circuit:MO-41", title="41st Circuit workshop", status="held", held_on=date(2026, 1, 14),
        sectors={"child-welfare": 11, "courts": 6, "lived-experience": 5}))
    write.add_barrier(conn, editor, workshop_id, BarrierIn(
        kind="transportation", description="No bus from Shelbina", category="Food", stage="prevention",
        counties=["29205"]))
    with pytest.raises(ValidationFailed, match="29095 not in circuit:MO-41"):
        write.add_barrier(conn, editor, workshop_id, BarrierIn(kind="cost", counties=["29095"]))

    # Priorities: the figures frozen are the gap matrix's at that moment.
    matrix = gap_matrix(conn, MO_41)
    first = write.add_priority(conn, editor, workshop_id, PriorityIn(
        title="Food within reach", cells=[CellRef(category="food"), CellRef(category="food", stage="Prevention")]))
    second = write.add_priority(conn, editor, workshop_id, PriorityIn(
        title="Food after a case closes", rank=1, cells=[CellRef(category="food", stage="aftercare")]))
    plan = read.workshop(conn, workshop_id, editor)  # not yet published: its editors see it
    assert [(p["id"], p["rank"]) for p in plan["priorities"]] == [(second, 1), (first, 2)]
    cells = {(c["category"], c["stage"]): c for p in plan["priorities"] for c in p["cells"]}
    for stage in ("all", "prevention", "aftercare"):
        then = cells[("food", stage)]["then"]
        assert then["population_uncovered"] == matrix["matrix"]["food"][stage]["population_uncovered"]
        assert then["services"] == matrix["matrix"]["food"][stage]["services"]
        assert cells[("food", stage)]["now"]["population_uncovered"] == then["population_uncovered"]
    with pytest.raises(ValidationFailed, match="legal-aid / all: no desert results"):
        write.add_priority(conn, editor, workshop_id, PriorityIn(title="x", cells=[CellRef(category="legal-aid")]))

    # The action plan, led by an organization of the directory, and a quarterly update.
    lead = conn.execute("SELECT id, name FROM organization WHERE is_sample ORDER BY id LIMIT 1").fetchone()
    item = write.add_action(conn, editor, workshop_id, ActionItemIn(
        what="Mobile pantry to Shelbina twice a month", priority_id=first, lead_organization_id=lead["id"],
        partners=["County health department", "Schools"], due_on=date(2026, 6, 30)))
    done = write.add_action(conn, editor, workshop_id, ActionItemIn(what="List pantries on the court's site"))
    write.add_update(conn, editor, workshop_id, item, ActionUpdateIn(
        quarter="2026-Q1", body="Route agreed with the pantry network", status="in_progress"))
    write.add_update(conn, editor, workshop_id, done, ActionUpdateIn(quarter="2026-Q1", body="Online", status="done"))
    write.update_workshop(conn, editor, workshop_id, WorkshopPatch(status="follow_up", published=True,
                                                                   next_meeting_on=date(2026, 4, 15)))

    # Services change and a later desert run: the plan shows then → now.
    for i, (lat, lon) in enumerate(TOWNS):
        edits.create_service(conn, admin, ServiceIn(
            name=f"Test pantry {i}", organization={"name": f"Test pantry org {i}"},
            location={"latitude": lat, "longitude": lon, "name": f"Test pantry site {i}"},
            categories=["food"], stages=["prevention", "aftercare"]))
    _food_run(conn)
    plan = read.workshop(conn, workshop_id)
    cell = next(c for p in plan["priorities"] for c in p["cells"] if c["stage"] == "all")
    assert cell["now"]["services"] == cell["then"]["services"] + 3
    assert cell["now"]["population_uncovered"] < cell["then"]["population_uncovered"]
    assert cell["now"]["run_id"] != cell["then"]["run_id"]

    agenda = read.agenda(conn, workshop_id)
    assert agenda["meeting_on"] == date(2026, 4, 15)
    assert [a["id"] for a in agenda["open_items"]] == [item]
    assert agenda["open_items"][0]["lead_organization"] == lead["name"]
    assert agenda["open_items"][0]["updates"][0]["body"] == "Route agreed with the pantry network"
    change = next(g for g in agenda["gap_changes"] if g["stage"] == "all")
    assert change["change"] == pytest.approx(change["now_population_uncovered"] - change["then_population_uncovered"])
    assert change["change"] < 0

    # Every change audited, with the record before and after.
    assert [a["action"] for a in _audit(conn, "workshop")] == ["create", "update"]
    updated = _audit(conn, "workshop")[1]
    assert updated["before"]["status"] == "held" and updated["after"]["status"] == "follow_up"
    assert updated["after"]["sectors"] == {"child-welfare": 11, "courts": 6, "lived-experience": 5}
    assert len(_audit(conn, "workshop_priority")) == 2 and len(_audit(conn, "action_update")) == 2
    assert _audit(conn, "workshop_priority")[0]["after"]["cells"][0]["then_run_id"] > 0


def test_writes_outside_the_key_regions_are_refused(conn):
    mo41, _ = create_key(conn, "test MO-41 editor", "editor", ["MO-41"])
    mo22, _ = create_key(conn, "test MO-22 editor", "editor", ["circuit:MO-22"])
    missouri, _ = create_key(conn, "test state editor", "editor", ["state:29"])
    workshop_id = write.create_workshop(conn, mo41, WorkshopIn(region="circuit:MO-41", title="41st"))
    with pytest.raises(NotAllowed):
        write.create_workshop(conn, mo22, WorkshopIn(region="county:29121", title="Macon County"))
    with pytest.raises(NotAllowed):
        write.add_barrier(conn, mo22, workshop_id, BarrierIn(kind="trust"))
    write.add_barrier(conn, missouri, workshop_id, BarrierIn(kind="trust"))  # a state covers its circuits
    with pytest.raises(ValidationFailed, match="already has a workshop"):
        write.create_workshop(conn, missouri, WorkshopIn(region="circuit:MO-41", title="again"))
    # An unpublished plan: only editors of the region (and admins) read it.
    assert read.workshop(conn, workshop_id)["withheld"] is True
    assert read.workshop(conn, workshop_id, mo22)["barriers"] == []
    assert read.workshop(conn, workshop_id, mo41)["barriers"][0]["kind"] == "trust"
    assert set(visible_workshops(conn, mo41)) == {workshop_id, *visible_workshops(conn, None)}
    assert workshop_id not in visible_workshops(conn, mo22)


def test_csv_export_of_every_table_leaves_out_unpublished_plans(conn):
    key, _ = create_key(conn, "test MO-41 editor", "editor", ["MO-41"])
    workshop_id = write.create_workshop(conn, key, WorkshopIn(
        region="circuit:MO-41", title="41st", notes="=cmd|' /C calc'!A0", sectors={"schools": 4}))
    write.add_barrier(conn, key, workshop_id, BarrierIn(kind="hours", description="closed by 4 pm"))
    public, mine = visible_workshops(conn, None), visible_workshops(conn, key)
    for table in export.EXPORT_TABLES:
        rows = list(csv.DictReader(io.StringIO(export.table_csv(conn, table, mine))))
        assert rows is not None
    workshops = {r["id"]: r for r in csv.DictReader(io.StringIO(export.table_csv(conn, "workshop", public)))}
    assert workshops[str(workshop_id)]["notes"] == ""  # unpublished: listed, its notes not
    barriers = list(csv.DictReader(io.StringIO(export.table_csv(conn, "workshop_barrier", public))))
    assert str(workshop_id) not in {b["workshop_id"] for b in barriers}
    mine_rows = {r["id"]: r for r in csv.DictReader(io.StringIO(export.table_csv(conn, "workshop", mine)))}
    assert mine_rows[str(workshop_id)]["notes"] == "'=cmd|' /C calc'!A0"  # a formula stays text
    sectors = list(csv.DictReader(io.StringIO(export.table_csv(conn, "workshop_sector", mine))))
    assert {"workshop_id": str(workshop_id), "sector": "schools", "participants": "4"} in sectors


def test_progress_counts_circuits_that_held_their_workshop(conn):
    key, _ = create_key(conn, "test admin", "admin")
    before = progress(conn, "29")
    assert before["regions"] == 46 and before["region_kind"] == "circuit"
    write.create_workshop(conn, key, WorkshopIn(region="circuit:MO-41", title="41st", status="plan_adopted"))
    write.create_workshop(conn, key, WorkshopIn(region="circuit:MO-1", title="1st", status="planned"))
    after = progress(conn, "29")
    assert after["held"] == before["held"] + 1
    assert after["by_status"]["planned"] == before["by_status"]["planned"] + 1
    assert after["headline"] == f"{after['held']} of 46 circuits have held their workshop"
    assert progress(conn, "25")["region_kind"] == "division"


def test_sample_workshops_are_labelled_and_loading_twice_changes_nothing(conn):
    conn.execute("DELETE FROM workshop WHERE is_sample")
    assert load_sample_workshops(conn) > 0
    again = load_sample_workshops(conn)
    rows = list(conn.execute("SELECT region_kind, region_code, title, notes, is_sample FROM workshop "
                             "WHERE is_sample ORDER BY region_code"))
    assert [(r["region_kind"], r["region_code"]) for r in rows] == [("division", "MA-suffolk"), ("circuit", "MO-16")]
    assert all(r["title"].startswith("SAMPLE") and "SAMPLE DATA" in r["notes"] for r in rows)
    assert again == 0  # no gap figures in this database yet: nothing more to add
