-- The first schema. Portable SQL: TEXT and BIGINT only (times are milliseconds since the
-- epoch, secrets are SHA-256 hashes in hex, flags are 0 or 1), so that SQLite and
-- PostgreSQL run the same statements.

CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    password_hash TEXT,
    is_guest BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE generated_localparts (
    id BIGINT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

INSERT INTO generated_localparts (id, last_value) VALUES (1, 0);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    chain_id TEXT NOT NULL,
    expires_at BIGINT
);

CREATE INDEX access_tokens_by_user ON access_tokens (user_id);

CREATE INDEX access_tokens_by_chain ON access_tokens (chain_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    chain_id TEXT NOT NULL,
    access_hash TEXT NOT NULL,
    used BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE INDEX refresh_tokens_by_chain ON refresh_tokens (chain_id);

CREATE TABLE uia_sessions (
    id TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    user_id TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE uia_completed_stages (
    session_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, stage)
);

CREATE TABLE threepids (
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    user_id TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (medium, address)
);

CREATE INDEX threepids_by_user ON threepids (user_id);

CREATE TABLE login_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE openid_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE validation_sessions (
    sid TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    send_attempt BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    validated_at BIGINT
);

CREATE INDEX validation_sessions_by_secret ON validation_sessions (client_secret, medium, address);

CREATE TABLE associations (
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    mxid TEXT NOT NULL,
    ts BIGINT NOT NULL,
    not_before BIGINT NOT NULL,
    not_after BIGINT NOT NULL,
    PRIMARY KEY (medium, address)
);

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL
);

CREATE TABLE signing_keys (
    id BIGINT PRIMARY KEY,
    seed TEXT NOT NULL
);
