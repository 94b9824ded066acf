-- What the desert measures were computed from: enough to tell whether services, locations,
-- regions, thresholds or loaded population areas changed since a run.
SELECT concat_ws(';',
    'services=' || (SELECT count(*) FROM service WHERE retired_at IS NULL AND status = 'active'),
    'service_updated=' || (SELECT coalesce(max(greatest(updated_at, retired_at))::text, '-') FROM service),
    'location_updated=' || (SELECT coalesce(max(greatest(updated_at, retired_at))::text, '-') FROM location),
    'regions_updated=' || (SELECT coalesce(max(updated_at)::text, '-') FROM region),
    'population_areas=' || (SELECT concat_ws(',', count(*), sum(population), max(loaded_at))
                            FROM desert_population_area),
    'thresholds=' || (SELECT md5(coalesce(string_agg(concat_ws(',', code, urban_threshold_m, rural_threshold_m),
                                                     ';' ORDER BY code), '')) FROM taxonomy_term)
) AS version
