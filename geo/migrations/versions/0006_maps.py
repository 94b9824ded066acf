"""Maps: a map-ready copy of the public service points, kept fresh by a change counter.

`service_map_point` holds one row per public (never confidential, never retired) service at a
location, with what its popup shows and its web-mercator x/y, so a vector tile or a circuit's
service layer is one index scan instead of six joins and three subqueries per row.
Every statement that changes the tables it is built from bumps `map_data_version_seq` (a sequence:
no row locks between concurrent writers); geo/service_map.py refreshes the view before it is read
whenever the counter has moved, so a service made confidential never lingers in a tile.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

SOURCES = ("service", "location", "service_at_location", "organization", "attribute", "service_stage",
           "taxonomy_term", "phone", "address")

UPGRADE = """
CREATE SEQUENCE map_data_version_seq;
SELECT setval('map_data_version_seq', 1);  -- is_called: last_value moves with the first change
CREATE TABLE service_map_refresh (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version    bigint NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO service_map_refresh (version) VALUES (-1);

CREATE FUNCTION bump_map_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('map_data_version_seq');
    RETURN NULL;
END $$;

CREATE MATERIALIZED VIEW service_map_point AS
SELECT p.*,
       -- The point as a GeoJSON Feature, ready to be joined into a layer's FeatureCollection.
       json_build_object(
           'type', 'Feature', 'id', p.service_id,
           'properties', json_build_object(
               'id', p.service_id, 'name', p.name, 'organization', p.organization,
               'categories', p.category_codes, 'stages', p.stage_codes, 'phone', p.phone, 'city', p.city,
               'county_fips', p.county_fips, 'is_sample', p.is_sample),
           'geometry', ST_AsGeoJSON(p.geom, 5)::json)::text AS feature
FROM (
SELECT s.id AS service_id, l.id AS location_id, s.name, o.name AS organization, s.is_sample, l.county_fips,
       cat.codes AS category_codes, array_to_string(cat.codes, ',') AS categories,
       stg.codes AS stage_codes, array_to_string(stg.codes, ',') AS stages,
       (SELECT ph.number FROM phone ph WHERE ph.service_id = s.id ORDER BY ph.id LIMIT 1) AS phone,
       (SELECT a.city FROM address a WHERE a.location_id = l.id ORDER BY a.id LIMIT 1) AS city,
       l.geom,
       ST_X(ST_Transform(l.geom, 3857)) AS x3857,
       ST_Y(ST_Transform(l.geom, 3857)) AS y3857
FROM service s
JOIN organization o ON o.id = s.organization_id
JOIN service_at_location sal ON sal.service_id = s.id
JOIN location l ON l.id = sal.location_id
LEFT JOIN LATERAL (
    SELECT array_agg(t.code ORDER BY t.code) AS codes FROM attribute a
    JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
    WHERE a.link_entity = 'service' AND a.link_id = s.id) cat ON true
LEFT JOIN LATERAL (
    SELECT array_agg(ss.stage_code ORDER BY ss.stage_code) AS codes FROM service_stage ss
    WHERE ss.service_id = s.id) stg ON true
WHERE s.retired_at IS NULL AND s.status = 'active' AND NOT s.confidential
  AND NOT l.confidential AND l.retired_at IS NULL AND l.geom IS NOT NULL
  AND abs(ST_Y(l.geom)) < 85.05
) p
WITH NO DATA;
CREATE UNIQUE INDEX service_map_point_key ON service_map_point (service_id, location_id);
CREATE INDEX service_map_point_geom ON service_map_point USING gist (geom) INCLUDE (x3857, y3857);
CREATE INDEX service_map_point_county ON service_map_point (county_fips);

-- Counts per web-mercator grid cell of 1/64 of a tile at zoom levels 7, 9 and 11 (a cell is about
-- 306 m at the equator at level 11): low-zoom tiles add these up instead of reading every point.
CREATE MATERIALIZED VIEW service_map_cell AS
SELECT lvl.level,
       floor(p.x3857 / (40075016.68557849 / 2 ^ lvl.level / 64))::bigint AS ix,
       floor(p.y3857 / (40075016.68557849 / 2 ^ lvl.level / 64))::bigint AS iy,
       count(*) AS n, sum(p.x3857) AS sum_x, sum(p.y3857) AS sum_y
FROM service_map_point p
CROSS JOIN (VALUES (7), (9), (11)) AS lvl(level)
GROUP BY 1, 2, 3
WITH NO DATA;
CREATE UNIQUE INDEX service_map_cell_key ON service_map_cell (level, ix, iy);
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in SOURCES:
        op.execute(
            f"CREATE TRIGGER {table}_map_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_map_data_version()"
        )


def downgrade() -> None:
    for table in SOURCES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_map_data_version ON {table}")
    op.execute("""DROP MATERIALIZED VIEW IF EXISTS service_map_cell;
                  DROP MATERIALIZED VIEW IF EXISTS service_map_point;
                  DROP FUNCTION IF EXISTS bump_map_data_version();
                  DROP TABLE IF EXISTS service_map_refresh;
                  DROP SEQUENCE IF EXISTS map_data_version_seq;""")
