-- Every court region of one kind (Missouri's circuits, Massachusetts' divisions) in a state, with
-- its workshop's status when it has one and how many people came; with `with_geometry`, its shape
-- simplified by `tolerance_deg` for a statewide map. Circuits sort by number (MO-2 before MO-10).
SELECT r.kind, r.code, r.name, w.id AS workshop_id, w.status, coalesce(s.participants, 0) AS participants,
       CASE WHEN %(with_geometry)s
            THEN ST_AsGeoJSON(ST_SimplifyPreserveTopology(r.geom, %(tolerance_deg)s), 5)::json END AS geometry
FROM region r
LEFT JOIN workshop w ON w.region_kind = r.kind AND w.region_code = r.code
LEFT JOIN LATERAL (
    SELECT sum(ws.participants)::int AS participants FROM workshop_sector ws WHERE ws.workshop_id = w.id
) s ON true
WHERE r.kind = %(kind)s AND r.state_fips = %(state_fips)s
ORDER BY length(r.code), r.code
