"""One way for derived copies to follow the directory: rebuilt in the writing transaction.

Replaces the map's change counter (0006: a materialized view refreshed by whichever reader found
the counter moved, which could mark it current before a pending change committed) and the search
table's fail-safe deletes (0010). service_map_point and service_map_cell become tables; triggers on
every directory table note the services a statement touched, and a deferred trigger rebuilds their
search rows, map points and tile counts before the transaction commits. The method is explained in
geo/sql/functions/directory_copies.sql.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from alembic import op

from geo.migrate import install_functions

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = ("0006",)  # replaces its map view and counter

OLD_MAP_SOURCES = ("service", "location", "service_at_location", "organization", "attribute",
                   "service_stage", "taxonomy_term", "phone", "address")
# Every table a copy is built from (geo/sql/functions/*.sql).
DIRECTORY_TABLES = ("service", "organization", "location", "service_at_location", "address", "phone",
                    "schedule", "language", "cost_option", "attribute", "service_stage", "taxonomy_term",
                    "landscape_stage", "region", "region_member")

DROP_OLD = """
DROP TRIGGER IF EXISTS service_point_forget ON service;
DROP TRIGGER IF EXISTS service_point_forget ON location;
DROP TRIGGER IF EXISTS service_point_forget ON service_at_location;
DROP FUNCTION IF EXISTS service_point_forget();
DROP MATERIALIZED VIEW IF EXISTS service_map_cell;
DROP MATERIALIZED VIEW IF EXISTS service_map_point;
DROP TABLE IF EXISTS service_map_refresh;
"""

CREATE = """
CREATE TABLE service_map_point (
    service_id     text NOT NULL,
    location_id    text NOT NULL,
    name           text,
    organization   text,
    is_sample      boolean NOT NULL,
    county_fips    char(5),
    category_codes text[] NOT NULL,
    categories     text NOT NULL,
    stage_codes    text[] NOT NULL,
    stages         text NOT NULL,
    phone          text,
    city           text,
    geom           geometry(Point, 4326) NOT NULL,
    x3857          double precision NOT NULL,
    y3857          double precision NOT NULL,
    feature        text NOT NULL,  -- the point as a GeoJSON Feature, ready to join into a layer
    PRIMARY KEY (service_id, location_id)
);
CREATE INDEX service_map_point_geom ON service_map_point USING gist (geom) INCLUDE (x3857, y3857);
CREATE INDEX service_map_point_county ON service_map_point (county_fips);

-- Counts per web-mercator grid cell of 1/64 of a tile at zoom levels 7, 9 and 11: low-zoom tiles
-- add these up instead of reading every point.
CREATE TABLE service_map_cell (
    level integer NOT NULL,
    ix    bigint NOT NULL,
    iy    bigint NOT NULL,
    n     bigint NOT NULL,
    sum_x double precision NOT NULL,
    sum_y double precision NOT NULL,
    PRIMARY KEY (level, ix, iy)
);
CREATE INDEX service_map_cell_empty ON service_map_cell (level) WHERE n <= 0;

-- This transaction's changed services, and its one deferred rebuild (directory_copies.sql).
CREATE UNLOGGED TABLE directory_pending (
    txid       xid8 NOT NULL,
    service_id text NOT NULL,
    PRIMARY KEY (txid, service_id)
);
CREATE UNLOGGED TABLE directory_sync_due (txid xid8 PRIMARY KEY);
"""

TRIGGERS = """
CREATE TRIGGER {t}_copies_insert AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER {t}_copies_update AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER {t}_copies_delete AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER {t}_copies_truncate AFTER TRUNCATE ON {t}
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
"""


def upgrade() -> None:
    for table in OLD_MAP_SOURCES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_map_data_version ON {table}")
    op.execute(DROP_OLD)
    op.execute("DROP FUNCTION IF EXISTS bump_map_data_version(); DROP SEQUENCE IF EXISTS map_data_version_seq;")
    op.execute(CREATE)
    install_functions(op.get_bind().connection.driver_connection)  # type: ignore[union-attr]
    op.execute("""CREATE CONSTRAINT TRIGGER directory_sync_at_commit AFTER INSERT ON directory_sync_due
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION directory_sync_at_commit()""")
    for table in DIRECTORY_TABLES:
        op.execute(TRIGGERS.format(t=table))
    # The copies are filled by 0019, the last revision that changes their shape: the functions
    # installed here are always today's, and today's also write copies made by later revisions.


def downgrade() -> None:
    for table in DIRECTORY_TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_copies_{event} ON {table}")
    op.execute("""DROP TABLE IF EXISTS directory_sync_due, directory_pending, service_map_cell, service_map_point;
                  DROP FUNCTION IF EXISTS directory_sync_at_commit(), directory_sync(), directory_copies_refresh(text[]),
                      service_map_refresh(text[]), service_map_rows(text[]),
                      service_map_cells(double precision, double precision),
                      directory_changed(), directory_note(text[]), service_point_refresh(text[]);""")
    # Back to the counter and the fail-safe deletes: 0006's and 0010's objects, as they made them.
    from importlib import import_module
    for name in ("0006_maps", "0010_search_fail_safe"):
        import_module(f"geo.migrations.versions.{name}").upgrade()
