"""Desert runs remember which sites they measured from at their exact point, so that a site made
confidential after a run takes that run's numbers off every output at once.

A run measures distance and access from each public service location's exact point; confidential
ones are moved to the centre of their 5 km square first (geo/sql/desert_services.sql). A site made
confidential later would still be recoverable from the stored cells (fitting the distance surface
finds it to a few metres). `desert_run_site` lists, per run and category, every (service, location)
measured at its exact point; the view `desert_withheld` names the (run, category) pairs that used a
site that is now confidential (the service or the location). Every reader of desert results leaves
those pairs out in the same statement that reads the cells or rollups, so there is no moment after
the change commits at which an output still reflects the point; a recompute (`atlas setup`, `atlas
deserts recompute`) replaces the run with one that measures from the square's centre.

The view starts from the confidential rows (few; partial indexes) and finds their runs through the
site table's indexes, so checking it costs a few index probes, not a scan of the runs.

Runs stored before this revision did not record their sites. They get, conservatively, every
service location (any status, public or confidential now) of their categories inside their search
box: a site confidential today may have been public when the run was made, so such runs are
withheld until recomputed.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = ("0005",)  # desert_run

UPGRADE = """
CREATE TABLE desert_run_site (
    run_id      bigint NOT NULL REFERENCES desert_run(id) ON DELETE CASCADE,
    category    text NOT NULL,
    service_id  text NOT NULL,   -- no foreign keys: deleting a service must not wait on old runs
    location_id text NOT NULL,
    PRIMARY KEY (run_id, category, service_id, location_id)
);
CREATE INDEX desert_run_site_service ON desert_run_site (service_id);
CREATE INDEX desert_run_site_location ON desert_run_site (location_id);
CREATE INDEX service_confidential_id ON service (id) WHERE confidential;
CREATE INDEX location_confidential_id ON location (id) WHERE confidential;

CREATE VIEW desert_withheld AS
SELECT rs.run_id, rs.category
FROM service s JOIN desert_run_site rs ON rs.service_id = s.id
WHERE s.confidential
UNION
SELECT rs.run_id, rs.category
FROM location l JOIN desert_run_site rs ON rs.location_id = l.id
WHERE l.confidential;
"""

# Existing runs: every service location of the run's categories inside the box its services were
# searched in (its counties' envelope plus the search margin, as geo.deserts.runs computes it).
BACKFILL = """
INSERT INTO desert_run_site (run_id, category, service_id, location_id)
SELECT DISTINCT run.id, t.code, sal.service_id, sal.location_id
FROM desert_run run
CROSS JOIN LATERAL (
    SELECT ST_Expand(ST_Envelope(ST_Collect(c.geom)),
                     coalesce((run.parameters->>'search_margin_m')::float8, 200000)
                     / (111000 * greatest(cos(radians(max(abs(ST_YMax(c.geom))) + 3)), 0.05))) AS geom
    FROM region c
    WHERE c.kind = 'county' AND c.code IN (SELECT jsonb_array_elements_text(run.parameters->'counties'))
) box
JOIN location l ON l.geom && box.geom
JOIN service_at_location sal ON sal.location_id = l.id
JOIN attribute a ON a.link_entity = 'service' AND a.link_id = sal.service_id
JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
WHERE (run.parameters->'categories') ? t.code
   OR (run.parameters->'categories' IS NULL AND (run.category IS NULL OR run.category = t.code))
ON CONFLICT DO NOTHING;
"""

DOWNGRADE = """
DROP VIEW IF EXISTS desert_withheld;
DROP TABLE IF EXISTS desert_run_site;
DROP INDEX IF EXISTS service_confidential_id;
DROP INDEX IF EXISTS location_confidential_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute(DOWNGRADE)
