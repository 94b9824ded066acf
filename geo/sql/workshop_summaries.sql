-- Workshops with their region's name and state and how many people came from each sector (counts
-- only: no one's name is ever stored). Every filter is NULL for "all"; `kind` and `code` together
-- name one region. Sectors are listed largest first.
SELECT w.id, w.region_kind || ':' || w.region_code AS region, w.region_kind, w.region_code,
       r.name AS region_name, r.state_fips, w.title, w.status, w.planned_on, w.held_on,
       w.plan_adopted_on, w.next_meeting_on, w.notes, w.published, w.is_sample, w.updated_at,
       coalesce(s.sectors, '[]'::jsonb) AS sectors, coalesce(s.participants, 0) AS participants
FROM workshop w
JOIN region r ON r.kind = w.region_kind AND r.code = w.region_code
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object('sector', ws.sector, 'participants', ws.participants)
                     ORDER BY ws.participants DESC, ws.sector) AS sectors,
           sum(ws.participants)::int AS participants
    FROM workshop_sector ws
    WHERE ws.workshop_id = w.id
) s ON true
WHERE (%(id)s::bigint IS NULL OR w.id = %(id)s)
  AND (%(kind)s::text IS NULL OR (w.region_kind = %(kind)s AND w.region_code = %(code)s))
  AND (%(state_fips)s::text IS NULL OR r.state_fips = %(state_fips)s)
  AND (%(status)s::text IS NULL OR w.status = %(status)s)
ORDER BY r.state_fips, w.region_kind, length(w.region_code), w.region_code
