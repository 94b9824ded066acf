-- Service points of the given categories near a region, for the desert measures: active, not
-- retired, placed. Confidential sites (service or location) are counted, but their point never
-- leaves the database: it is generalised here to the centre of its `confidential_grid_m` square
-- in CONUS Albers (EPSG:5070), so nothing computed from it can locate the site more finely.
-- Each row names its service and location and whether it was generalised: a run records the
-- sites it used at their exact point (desert_run_site), and is withheld from every output if one
-- of them becomes confidential later (view desert_withheld, migration 0013).
WITH box AS (
    SELECT ST_Expand(ST_Envelope(ST_Collect(geom)), %(margin_deg)s) AS geom
    FROM region WHERE kind = 'county' AND code = ANY(%(counties)s)
),
placed AS (
    SELECT s.id AS service_id, l.id AS location_id, l.county_fips, l.geom,
           (s.confidential OR l.confidential) AS confidential, s.capacity,
           count(*) OVER (PARTITION BY s.id) AS locations
    FROM service s
    JOIN service_at_location sal ON sal.service_id = s.id
    JOIN location l ON l.id = sal.location_id
    WHERE s.retired_at IS NULL AND s.status = 'active' AND l.retired_at IS NULL
      AND l.geom IS NOT NULL
)
SELECT p.service_id, p.location_id, p.county_fips, t.code AS category, p.confidential, p.capacity, p.locations,
       coalesce((SELECT array_agg(ss.stage_code ORDER BY ss.stage_code) FROM service_stage ss
                 WHERE ss.service_id = p.service_id), '{}') AS stages,
       ST_X(shown.geom) AS lon, ST_Y(shown.geom) AS lat
FROM placed p
JOIN attribute a ON a.link_entity = 'service' AND a.link_id = p.service_id
JOIN taxonomy_term t ON t.id = a.taxonomy_term_id
CROSS JOIN box
CROSS JOIN LATERAL (
    SELECT CASE WHEN p.confidential THEN ST_Transform(ST_SetSRID(ST_MakePoint(
                    (floor(ST_X(a5070.geom) / %(confidential_grid_m)s) + 0.5) * %(confidential_grid_m)s,
                    (floor(ST_Y(a5070.geom) / %(confidential_grid_m)s) + 0.5) * %(confidential_grid_m)s),
                    5070), 4326)
                ELSE p.geom END AS geom
    FROM (SELECT ST_Transform(p.geom, 5070) AS geom) a5070
) shown
WHERE p.geom && box.geom
  AND (%(categories)s::text[] IS NULL OR t.code = ANY(%(categories)s))
ORDER BY p.service_id, p.location_id, t.code
