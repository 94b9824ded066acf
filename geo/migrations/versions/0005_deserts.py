"""Service deserts: each computation run, its H3 cells per category, and rollups per region.

`desert_cell` holds one row per (run, H3 cell, category, stage): population, geodesic distance in
metres to the nearest service of the category, the threshold that applied, coverage and the 2SFCA /
E2SFCA access ratios. `desert_rollup` sums those per county, circuit/division and the run's region;
rows with a stage make the gap matrix (category × landscape stage).

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE desert_run (
    id           bigserial PRIMARY KEY,
    region_kind  text NOT NULL,
    region_code  text NOT NULL,
    category     text,            -- NULL: every category
    stage        text,            -- NULL: cells for all stages together
    resolution   integer NOT NULL CHECK (resolution BETWEEN 0 AND 15),
    parameters   jsonb NOT NULL DEFAULT '{}'::jsonb,
    data_version text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    status       text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
    cells        integer
);
CREATE INDEX desert_run_region ON desert_run (region_kind, region_code, finished_at DESC);

CREATE TABLE desert_cell (
    run_id         bigint NOT NULL REFERENCES desert_run(id) ON DELETE CASCADE,
    h3             text NOT NULL,
    category       text NOT NULL,
    stage          text,
    geom           geometry(Polygon, 4326) NOT NULL,
    population     double precision NOT NULL,
    urban          boolean NOT NULL,
    distance_m     double precision,   -- geodesic; NULL when the category has no service at all
    threshold_m    double precision NOT NULL,
    covered        boolean NOT NULL,
    access_2sfca   double precision NOT NULL,
    access_e2sfca  double precision NOT NULL,
    county_fips    char(5)
);
CREATE INDEX desert_cell_run_category_county ON desert_cell (run_id, category, county_fips);
CREATE INDEX desert_cell_geom_gist ON desert_cell USING gist (geom);

CREATE TABLE desert_rollup (
    run_id               bigint NOT NULL REFERENCES desert_run(id) ON DELETE CASCADE,
    region_kind          text NOT NULL,
    region_code          text NOT NULL,
    category             text NOT NULL,
    stage                text,
    population           double precision NOT NULL,
    population_uncovered double precision NOT NULL,
    share_uncovered      double precision,
    mean_distance_m      double precision,   -- population-weighted
    mean_2sfca           double precision,   -- population-weighted
    rank                 integer,            -- 1 = largest share beyond threshold, per kind/category/stage
    services             integer NOT NULL DEFAULT 0,
    region_name          text
);
-- Finer population a user loads (tract or block-group GEOIDs with population and shape): inside an
-- area it replaces the default county/place model.
CREATE TABLE desert_population_area (
    geoid       text PRIMARY KEY,
    population  double precision NOT NULL CHECK (population >= 0),
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    source      text NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX desert_population_area_geom_gist ON desert_population_area USING gist (geom);

CREATE INDEX desert_rollup_lookup ON desert_rollup (region_kind, region_code, category, stage);
CREATE INDEX desert_rollup_run ON desert_rollup (run_id);
"""

DOWNGRADE = "DROP TABLE IF EXISTS desert_population_area, desert_rollup, desert_cell, desert_run CASCADE;"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
