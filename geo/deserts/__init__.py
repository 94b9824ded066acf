"""Service deserts: where families live farther from a kind of service than they should travel.

- `surface`: the demand surface — an H3 grid over a region's counties carrying population
  (Census county totals split between GeoNames places and an even remainder; see its docstring).
- `measures`: geodesic nearest-service distance, catchment pairs from a KD-tree, 2SFCA / E2SFCA.
- `model`: the per-cell measures of one category: distance, urban/rural threshold, coverage, access.
- `runs`: computing a region's run and storing its cells and rollups (per county, circuit/division
  and region, per landscape stage: the gap matrix); `recompute_for_region` after services change.
- `results`: reading stored runs for the API and the map layers (cells as GeoJSON, gap matrix, rollups).

Confidential services count toward coverage and capacity, but their points are generalised inside
the database (to a point that hides them among at least N residents, or their county's: `privacy`)
before any computation sees them, and no output ever carries a service point.
- `store` / `draw`: cells stored once per surface, measures as arrays (migration 0017); hexagons
  drawn from the H3 index when shown.
"""
