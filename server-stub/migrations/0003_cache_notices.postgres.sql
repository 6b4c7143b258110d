-- PostgreSQL only: what lets several nodes cache token lookups and still refuse a revoked
-- token at once (`src/store/sql/cluster.rs` says how).
--
-- Every change to a row that a node may hold in its cache announces itself on channel
-- `matrix_cache`, in the transaction that makes it: a notice is delivered if and only if
-- the change commits, after every change committed before it, whoever made it (a node, the
-- janitor, an operator in psql).

-- The database's clock, in the unit of every stored time: the one clock all nodes agree on.
CREATE FUNCTION matrix_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
$$;

CREATE TABLE cache_nodes (
    node_id TEXT PRIMARY KEY,
    -- Milliseconds since the epoch, by the database's clock: until then the node may answer
    -- from its cache.
    lease_until BIGINT NOT NULL
);

CREATE FUNCTION matrix_cache_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'access_tokens' THEN
        PERFORM pg_notify('matrix_cache', 'access ' || OLD.token_hash);
    ELSIF TG_TABLE_NAME = 'account_tokens' THEN
        PERFORM pg_notify('matrix_cache', 'account ' || OLD.token_hash);
    ELSIF TG_TABLE_NAME = 'threepids' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('matrix_cache', 'threepids ' || OLD.user_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('matrix_cache', 'threepids ' || NEW.user_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

-- Only what a cache can hold goes stale: a token that is changed or deleted, a 3pid list that
-- changes in any way. A new token is a cache miss already.
CREATE TRIGGER access_tokens_notice AFTER UPDATE OR DELETE ON access_tokens
    FOR EACH ROW EXECUTE FUNCTION matrix_cache_notice();

CREATE TRIGGER account_tokens_notice AFTER UPDATE OR DELETE ON account_tokens
    FOR EACH ROW EXECUTE FUNCTION matrix_cache_notice();

CREATE TRIGGER threepids_notice AFTER INSERT OR UPDATE OR DELETE ON threepids
    FOR EACH ROW EXECUTE FUNCTION matrix_cache_notice();
