"""Compact desert runs: a run's cells are stored once per surface, its measures as arrays.

Before this revision `desert_cell` held one row per (run, H3 cell, category, stage) with the cell's
polygon, population and every measure: Missouri and Massachusetts at resolution 8, all categories,
were ~5.4 M rows and ~1.9 GB. Now:

- `desert_surface` is a demand surface (its fingerprint is a hash of its content, so runs with the
  same cells and people share one), and `desert_surface_block` holds its cells per county as
  arrays in ascending H3 order: the H3 index as a 64-bit integer, the cell centre, population and
  the urban flag. Polygons are not stored: they are built from the H3 index when a cell is drawn
  (GeoJSON, vector tiles: geo/deserts/draw.py). `bbox` (the block's cells' extent) finds the
  blocks a tile needs.
- `desert_measure` holds one category and stage choice of a run per county: distance (geodesic
  metres, 'Infinity' where no service lies within the search margin), 2SFCA and E2SFCA, as arrays
  aligned with the county's surface block, and the two thresholds (a cell's threshold and
  coverage follow from its urban flag).
- `desert_cell` becomes a read-only view with the columns it had (but `geom`; h3 as text), so SQL
  that reads cells by run, category, stage or county reads the same rows.

Existing runs are converted here (their cells' centres from the stored polygons' centroids).
Downgrading restores an empty `desert_cell` table and deletes the runs, which must be recomputed.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0017"
down_revision = "0013"
branch_labels = None
depends_on = ("0005",)

UPGRADE = """
CREATE TABLE desert_surface (
    id          bigserial PRIMARY KEY,
    resolution  integer NOT NULL CHECK (resolution BETWEEN 0 AND 15),
    fingerprint text NOT NULL UNIQUE,
    cells       integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE desert_surface_block (
    surface_id  bigint NOT NULL REFERENCES desert_surface(id) ON DELETE CASCADE,
    county_fips text NOT NULL,
    h3          bigint[] NOT NULL,
    lon         double precision[] NOT NULL,
    lat         double precision[] NOT NULL,
    population  double precision[] NOT NULL,
    urban       boolean[] NOT NULL,
    bbox        geometry(Polygon, 4326) NOT NULL,
    PRIMARY KEY (surface_id, county_fips)
);
CREATE INDEX desert_surface_block_bbox ON desert_surface_block USING gist (bbox);
ALTER TABLE desert_run ADD COLUMN surface_id bigint REFERENCES desert_surface(id);
CREATE INDEX desert_run_surface ON desert_run (surface_id);

CREATE TABLE desert_measure (
    run_id            bigint NOT NULL REFERENCES desert_run(id) ON DELETE CASCADE,
    category          text NOT NULL,
    stage             text,
    county_fips       text NOT NULL,
    urban_threshold_m double precision NOT NULL,
    rural_threshold_m double precision NOT NULL,
    distance_m        double precision[] NOT NULL,
    access_2sfca      double precision[] NOT NULL,
    access_e2sfca     double precision[] NOT NULL
);
CREATE UNIQUE INDEX desert_measure_key ON desert_measure (run_id, category, coalesce(stage, ''), county_fips);
"""

# One surface per existing run; its cells from the run's rows (any one category/stage of them).
CONVERT = """
CREATE TEMP TABLE cell_one ON COMMIT DROP AS
SELECT DISTINCT ON (run_id, h3) run_id, ('x' || lpad(h3, 16, '0'))::bit(64)::bigint AS h3,
       coalesce(county_fips, '') AS county_fips, ST_X(ST_Centroid(geom)) AS lon, ST_Y(ST_Centroid(geom)) AS lat,
       population, urban
FROM desert_cell ORDER BY run_id, h3;

INSERT INTO desert_surface (resolution, fingerprint, cells)
SELECT r.resolution, 'migrated run ' || r.id, (SELECT count(*) FROM cell_one c WHERE c.run_id = r.id)
FROM desert_run r WHERE EXISTS (SELECT 1 FROM cell_one c WHERE c.run_id = r.id);
UPDATE desert_run r SET surface_id = s.id FROM desert_surface s WHERE s.fingerprint = 'migrated run ' || r.id;

INSERT INTO desert_surface_block (surface_id, county_fips, h3, lon, lat, population, urban, bbox)
SELECT r.surface_id, c.county_fips, array_agg(c.h3 ORDER BY c.h3), array_agg(c.lon ORDER BY c.h3),
       array_agg(c.lat ORDER BY c.h3), array_agg(c.population ORDER BY c.h3), array_agg(c.urban ORDER BY c.h3),
       ST_Envelope(ST_Expand(ST_Collect(ST_MakePoint(c.lon, c.lat)), 0.2))
FROM cell_one c JOIN desert_run r ON r.id = c.run_id
GROUP BY r.surface_id, c.county_fips;

INSERT INTO desert_measure (run_id, category, stage, county_fips, urban_threshold_m, rural_threshold_m,
                            distance_m, access_2sfca, access_e2sfca)
SELECT d.run_id, d.category, d.stage, coalesce(d.county_fips, ''),
       coalesce(max(d.threshold_m) FILTER (WHERE d.urban), min(t.urban_threshold_m), max(d.threshold_m)),
       coalesce(max(d.threshold_m) FILTER (WHERE NOT d.urban), min(t.rural_threshold_m), max(d.threshold_m)),
       array_agg(coalesce(d.distance_m, 'Infinity') ORDER BY d.h3), array_agg(d.access_2sfca ORDER BY d.h3),
       array_agg(d.access_e2sfca ORDER BY d.h3)
FROM desert_cell d LEFT JOIN taxonomy_term t ON t.code = d.category
GROUP BY d.run_id, d.category, d.stage, coalesce(d.county_fips, '');

DROP TABLE desert_cell;
"""

VIEW = """
CREATE VIEW desert_cell AS
SELECT m.run_id, to_hex(c.h3) AS h3, m.category, m.stage, c.population, c.urban,
       nullif(c.distance_m, 'Infinity') AS distance_m,
       CASE WHEN c.urban THEN m.urban_threshold_m ELSE m.rural_threshold_m END AS threshold_m,
       c.distance_m <= CASE WHEN c.urban THEN m.urban_threshold_m ELSE m.rural_threshold_m END AS covered,
       c.access_2sfca, c.access_e2sfca, m.county_fips
FROM desert_measure m
JOIN desert_run r ON r.id = m.run_id
JOIN desert_surface_block b ON b.surface_id = r.surface_id AND b.county_fips = m.county_fips
CROSS JOIN LATERAL unnest(b.h3, b.population, b.urban, m.distance_m, m.access_2sfca, m.access_e2sfca)
    AS c(h3, population, urban, distance_m, access_2sfca, access_e2sfca);
"""

DOWNGRADE = """
DROP VIEW IF EXISTS desert_cell;
DELETE FROM desert_run WHERE surface_id IS NOT NULL;
DROP TABLE IF EXISTS desert_measure;
ALTER TABLE desert_run DROP COLUMN IF EXISTS surface_id;
DROP TABLE IF EXISTS desert_surface_block, desert_surface;
CREATE TABLE desert_cell (
    run_id         bigint NOT NULL REFERENCES desert_run(id) ON DELETE CASCADE,
    h3             text NOT NULL,
    category       text NOT NULL,
    stage          text,
    geom           geometry(Polygon, 4326) NOT NULL,
    population     double precision NOT NULL,
    urban          boolean NOT NULL,
    distance_m     double precision,
    threshold_m    double precision NOT NULL,
    covered        boolean NOT NULL,
    access_2sfca   double precision NOT NULL,
    access_e2sfca  double precision NOT NULL,
    county_fips    char(5)
);
CREATE INDEX desert_cell_run_category_county ON desert_cell (run_id, category, county_fips);
CREATE INDEX desert_cell_geom_gist ON desert_cell USING gist (geom);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(CONVERT)
    op.execute(VIEW)


def downgrade() -> None:
    op.execute(DOWNGRADE)
