-- Shared by the bench scripts (\ir lib.sql): best of three runs of a query, in milliseconds.
CREATE OR REPLACE FUNCTION pg_temp.best_ms(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best numeric := 'Infinity'; r record;
BEGIN
    FOR run IN 1..3 LOOP
        t0 := clock_timestamp();
        EXECUTE q INTO r;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN round(best, 1);
END $$;
