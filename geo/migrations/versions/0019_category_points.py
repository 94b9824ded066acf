"""The search rows once per category, indexed by (category, point): a category search reads only
its own services, nearest first.

service_point_category is a fourth derived copy of the directory, kept in step by the same triggers
and in the same transaction as the others (geo/sql/functions/directory_copies.sql): one row per
search row (service_point) and category, with the point and the columns the other filters test.
Its GiST index on (category, geog) (btree_gist, a trusted extension shipped with PostgreSQL) serves
a category and the distance together: the KNN order `geog <-> point` and ST_DWithin both read only
that category's entries, where service_point's GIN index on categories and GiST index on points
could only be combined as two bitmaps over the whole radius (bench/README.md, issue 12).

The copies are then rebuilt from the directory (see 0011).

Revision ID: 0019
Revises: 0011
Create Date: 2026-12-04
"""

from alembic import op

from geo.migrate import install_functions

revision = "0019"
down_revision = "0011"  # the copies branch (0011: the directory copies)
branch_labels = None
depends_on = None

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE service_point_category (
    category     text NOT NULL,
    id           text NOT NULL,  -- service_point.id: the service at a location
    service_id   text NOT NULL,
    geog         geography(Point, 4326) NOT NULL,
    stages       text[] NOT NULL,
    languages    text[] NOT NULL,
    costs        text[] NOT NULL,
    minimum_age  numeric,
    maximum_age  numeric,
    tz_name      text,
    open_week    int4multirange,
    open_dated   boolean NOT NULL,
    PRIMARY KEY (category, id)
);
CREATE INDEX service_point_category_geog ON service_point_category USING gist (category, geog);
CREATE INDEX service_point_category_service ON service_point_category (service_id);
"""

DOWNGRADE = """
DROP TABLE service_point_category;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    install_functions(op.get_bind().connection.driver_connection)  # type: ignore[union-attr]
    op.execute("SELECT directory_copies_refresh(NULL)")


def downgrade() -> None:
    # The functions then still write this table: install those of the matching code (atlas db migrate).
    op.execute(DOWNGRADE)
