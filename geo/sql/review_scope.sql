-- The services a review queue covers, as the CTE `in_scope` (prefix of the review_*.sql queries).
-- An editor covers a service when every location it has lies in a county inside one of their
-- regions %(key_regions)s ('kind:code'; NULL for an admin, who covers every service): the rule
-- edits follow (geo/keys.py:check_counties), so whatever the queue lists, its editor may act on.
-- %(region)s ('kind:code' or NULL) narrows the queue to one region the same way.
WITH key_region AS MATERIALIZED (
    SELECT id, kind, code FROM region WHERE kind || ':' || code = ANY(%(key_regions)s::text[])
), asked_region AS MATERIALIZED (
    SELECT id, kind, code FROM region WHERE kind || ':' || code = %(region)s::text
), scope AS MATERIALIZED (  -- once, not per service
    SELECT c.code
    FROM region c
    WHERE c.kind = 'county'
      AND (%(key_regions)s::text[] IS NULL OR EXISTS (
              SELECT 1 FROM key_region r
              WHERE r.id = c.id OR (r.kind = 'state' AND r.code = c.state_fips)
                 OR EXISTS (SELECT 1 FROM region_member m WHERE m.region_id = r.id AND m.member_id = c.id)))
      AND (%(region)s::text IS NULL OR EXISTS (
              SELECT 1 FROM asked_region r
              WHERE r.id = c.id OR (r.kind = 'state' AND r.code = c.state_fips)
                 OR EXISTS (SELECT 1 FROM region_member m WHERE m.region_id = r.id AND m.member_id = c.id)))
), in_scope AS (
    SELECT s.id, s.name, s.confidential,
           jsonb_build_object(
               'id', s.id, 'name', s.name,
               'confidential', s.confidential OR bool_or(l.confidential),
               -- Where a listing is, no finer than its counties: a confidential site never shows more.
               'counties', jsonb_agg(DISTINCT jsonb_build_object('fips', l.county_fips, 'name', c.name))
           ) AS service
    FROM service s
    JOIN service_at_location sal ON sal.service_id = s.id
    JOIN location l ON l.id = sal.location_id
    LEFT JOIN region c ON c.kind = 'county' AND c.code = l.county_fips
    GROUP BY s.id
    HAVING (%(key_regions)s::text[] IS NULL AND %(region)s::text IS NULL)
        OR bool_and(l.county_fips IS NOT NULL AND l.county_fips IN (SELECT code FROM scope))
)
