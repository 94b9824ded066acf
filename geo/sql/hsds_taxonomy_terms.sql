-- HSDS 3 taxonomy_terms, one Page, by taxonomy then code. Absent values are left out; the required
-- descriptions fall back to the name.
WITH matches AS (
    SELECT t.* FROM taxonomy_term t
    WHERE (%(taxonomy_id)s::text IS NULL OR t.taxonomy_id = %(taxonomy_id)s)
      AND (%(parent_id)s::text IS NULL OR t.parent_id = %(parent_id)s)
), page AS (
    SELECT * FROM matches ORDER BY taxonomy, code LIMIT %(size)s OFFSET %(offset)s
), contents AS (
    SELECT coalesce(json_agg(json_strip_nulls(json_build_object(
        'id', p.id, 'code', p.code, 'name', p.name, 'description', coalesce(p.description, p.name),
        'parent_id', p.parent_id,
        'taxonomy', p.taxonomy, 'taxonomy_id', p.taxonomy_id, 'language', p.language, 'term_uri', p.term_uri,
        'taxonomy_detail', (SELECT json_build_object('id', x.id, 'name', x.name,
                                                     'description', coalesce(x.description, x.name),
                                                     'uri', x.uri, 'version', x.version)
                            FROM taxonomy x WHERE x.id = p.taxonomy_id)
    )) ORDER BY p.taxonomy, p.code), '[]') AS items, count(*) AS n
    FROM page p
)
SELECT (SELECT count(*) FROM matches) AS total, c.n, c.items::text AS items FROM contents c
