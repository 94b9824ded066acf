-- HSDS 3 organizations, one Page, by name. A value we lack is left out (json_strip_nulls), as the
-- schema allows no nulls; the required description is an empty string when there is none.
WITH matches AS (
    SELECT o.* FROM organization o
    WHERE o.retired_at IS NULL
      AND (%(search)s::text IS NULL OR o.name ILIKE '%%' || %(search)s || '%%')
), page AS (
    SELECT * FROM matches ORDER BY name, id LIMIT %(size)s OFFSET %(offset)s
), contents AS (
    SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
        'id', p.id, 'name', p.name, 'alternate_name', p.alternate_name, 'description', coalesce(p.description, ''),
        'email', p.email, 'website', p.website, 'tax_status', p.tax_status, 'tax_id', p.tax_id,
        'year_incorporated', p.year_incorporated, 'legal_status', p.legal_status, 'logo', p.logo,
        'uri', p.uri, 'parent_organization_id', p.parent_organization_id
    )) ORDER BY p.name, p.id), '[]') AS items, count(*) AS n
    FROM page p
)
SELECT (SELECT count(*) FROM matches) AS total, c.n, c.items::text AS items FROM contents c
