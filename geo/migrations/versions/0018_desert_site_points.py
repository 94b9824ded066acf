"""Desert runs keep the point each site was measured from, so a run can be updated in place.

An incremental recompute (geo/deserts/incremental.py) compares the sites a run measured from with
the sites of today and recomputes only the cells within reach of the ones that changed. After an
edit commits nothing else remembers where a moved service used to be, so `desert_run_site` now
lists every site a run used — also confidential ones — with the point it was measured from: the
exact point of a public site, the generalised point of a confidential one (the centre of a square
holding at least N residents, or its county's point; geo/deserts/privacy.py), never anything finer
than the run's own outputs already show. With it: the site's county, capacity (per location, as
measured) and landscape stages. `exact` says which point it is; the view `desert_withheld` now reads
only exact rows (a confidential site recorded at its generalised point withholds nothing).

`desert_rollup.population_with_distance` is the denominator of `mean_distance_m` (people with a
service within the search margin), so a rollup can be changed by difference.

Rows written before this revision have no points (NULL): such runs are recomputed in full.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE desert_run_site
    ADD COLUMN exact boolean NOT NULL DEFAULT true,
    ADD COLUMN county_fips text,
    ADD COLUMN lon double precision,
    ADD COLUMN lat double precision,
    ADD COLUMN capacity double precision,
    ADD COLUMN stages text[];
ALTER TABLE desert_rollup ADD COLUMN population_with_distance double precision;
CREATE OR REPLACE VIEW desert_withheld AS
SELECT rs.run_id, rs.category
FROM service s JOIN desert_run_site rs ON rs.service_id = s.id
WHERE s.confidential AND rs.exact
UNION
SELECT rs.run_id, rs.category
FROM location l JOIN desert_run_site rs ON rs.location_id = l.id
WHERE l.confidential AND rs.exact;
"""

DOWNGRADE = """
DELETE FROM desert_run_site WHERE NOT exact;
CREATE OR REPLACE VIEW desert_withheld AS
SELECT rs.run_id, rs.category
FROM service s JOIN desert_run_site rs ON rs.service_id = s.id
WHERE s.confidential
UNION
SELECT rs.run_id, rs.category
FROM location l JOIN desert_run_site rs ON rs.location_id = l.id
WHERE l.confidential;
ALTER TABLE desert_rollup DROP COLUMN population_with_distance;
ALTER TABLE desert_run_site DROP COLUMN exact, DROP COLUMN county_fips, DROP COLUMN lon, DROP COLUMN lat,
    DROP COLUMN capacity, DROP COLUMN stages;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
