-- Is every county in %(counties)s inside one of the regions %(regions)s ('kind:code')? A county is
-- inside itself, its state, and the circuits/divisions that list it in region_member.
SELECT coalesce(bool_and(x.inside), false) AS ok
FROM (
    SELECT EXISTS (
        SELECT 1
        FROM region c
        JOIN region r ON r.kind || ':' || r.code = ANY(%(regions)s::text[])
        WHERE c.kind = 'county' AND c.code = wanted.county
          AND (r.id = c.id
               OR (r.kind = 'state' AND r.code = c.state_fips)
               OR EXISTS (SELECT 1 FROM region_member m WHERE m.region_id = r.id AND m.member_id = c.id))
    ) AS inside
    FROM unnest(%(counties)s::text[]) AS wanted(county)
) x
