-- A circuit's or division's shape and population are those of its member counties.
UPDATE region g
SET geom = u.geom, population = u.population, updated_at = now()
FROM (
    SELECT m.region_id,
           ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(c.geom)), 3)) AS geom,
           sum(c.population)::bigint AS population
    FROM region_member m
    JOIN region c ON c.id = m.member_id
    WHERE m.region_id = ANY(%(region_ids)s)
    GROUP BY m.region_id
) u
WHERE g.id = u.region_id
