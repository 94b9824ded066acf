-- Public service points for a map layer, from service_map_point (never confidential or retired),
-- as GeoJSON text joined from the view's ready-made features: no per-request JSON building, and
-- no parsing and re-encoding 10,000 features in Python.
SELECT '{"type":"FeatureCollection","features":[' || coalesce(string_agg(p.feature, ','), '') || ']}'
       AS collection
FROM (
    SELECT p.feature FROM service_map_point p
    WHERE (%(state_fips)s::text IS NULL OR left(p.county_fips, 2) = %(state_fips)s)
      AND (%(county_fips)s::text[] IS NULL OR p.county_fips = ANY(%(county_fips)s))
      AND (%(category)s::text IS NULL OR %(category)s = ANY(p.category_codes))
      AND (%(stage)s::text IS NULL OR %(stage)s = ANY(p.stage_codes))
    LIMIT %(limit)s
) p
