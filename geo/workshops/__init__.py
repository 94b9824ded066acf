"""From gaps to action: a region's Upstream workshop (who came, by sector), the barriers partners
name, ranked priorities tied to gap-matrix cells with their figures frozen when set, and the action
plan carried out at quarterly meetings; statewide progress over circuits and divisions.

- `schemas`: what the API accepts and returns, and the fixed lists (statuses, sectors, barriers).
- `access`: who may write (the region's editors) and who may read a plan before it is published.
- `gaps`: freezing a priority's gap figures and reading them now, through geo.deserts.results.
- `write`: the one writer of these tables, each API change audited (geo.audit).
- `read`, `progress`, `export`: a workshop with "then → now", the agenda, statewide counts, CSV.
- `sample`: the demo's SAMPLE workshops.
"""
