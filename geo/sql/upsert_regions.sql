-- Move staged regions into `region`, making shapes valid (some Census shapes are invalid after
-- simplification) and touching only rows whose content changed, so re-loading is a no-op.
INSERT INTO region AS r (kind, code, name, state_fips, population, source, geom)
SELECT kind, code, name, state_fips, population, source,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(wkb), 4326)), 3))
FROM region_stage
ON CONFLICT (kind, code) DO UPDATE
SET name = EXCLUDED.name, state_fips = EXCLUDED.state_fips, population = EXCLUDED.population,
    source = EXCLUDED.source, geom = EXCLUDED.geom, updated_at = now()
WHERE (r.name, r.state_fips, r.population, r.source) IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.state_fips, EXCLUDED.population, EXCLUDED.source)
   OR ST_AsEWKB(r.geom) IS DISTINCT FROM ST_AsEWKB(EXCLUDED.geom)
