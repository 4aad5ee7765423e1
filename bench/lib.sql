-- Shared by the bench scripts (\ir lib.sql): the same settings everywhere (no parallel workers,
-- no JIT, so each measure is one backend's work), and best-of-three timing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS hive_tokens;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- best of `runs` runs of a query, in milliseconds, in one transaction whose principal is
-- `token` when one is given
CREATE OR REPLACE FUNCTION pg_temp.best_ms(q text, token text DEFAULT NULL, runs int DEFAULT 3) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best numeric := 'Infinity'; r record;
BEGIN
    IF token IS NOT NULL THEN PERFORM hive_tokens.authenticate(token); END IF;
    FOR run IN 1..runs LOOP
        t0 := clock_timestamp();
        EXECUTE q INTO r;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN round(best, 1);
END $$;
