-- Take one token from the flood bucket %(bucket)s, which holds at most %(capacity)s tokens and
-- refills at %(capacity)s per hour (a token bucket kept in one row, so every app replica shares
-- it). Refill is computed from the time since the bucket was last taken from. Returns the tokens
-- left, or no row when the bucket has less than one: the caller then rolls back whatever it took
-- from other buckets in the same transaction. Concurrent takers of one bucket queue on its row lock.
INSERT INTO report_bucket AS b (bucket, tokens, updated_at)
VALUES (%(bucket)s, %(capacity)s - 1, now())
ON CONFLICT (bucket) DO UPDATE
SET tokens = least(%(capacity)s::float8,
                   b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)) * %(capacity)s / 3600.0) - 1,
    updated_at = greatest(b.updated_at, now())
WHERE least(%(capacity)s::float8,
            b.tokens + greatest(0, extract(epoch FROM now() - b.updated_at)) * %(capacity)s / 3600.0) >= 1
RETURNING tokens
