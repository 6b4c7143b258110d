-- The identity service's hashed lookups, terms and invitations (v1.16 identity API).

-- The pepper of hashed lookups: one row, made at the first start that needs it, replaced
-- by `server-stub rotate-lookup-pepper`.
CREATE TABLE lookup_pepper (
    id INTEGER PRIMARY KEY,
    pepper TEXT NOT NULL
);

-- Each association's hash under the current pepper, what `sha256` lookups find it by.
-- Associations made before this migration get theirs at the next pepper replacement; the
-- server replaces a pepper it finds missing, so they are hashed at the first start.
ALTER TABLE associations ADD COLUMN lookup_hash TEXT;
CREATE INDEX associations_by_lookup_hash ON associations (lookup_hash);

-- The terms URLs each identity account has accepted.
CREATE TABLE accepted_terms (
    user_id TEXT NOT NULL,
    url TEXT NOT NULL,
    PRIMARY KEY (user_id, url)
);

-- Invitations to 3pids, until delivered on bind or purged.
CREATE TABLE invites (
    token TEXT PRIMARY KEY,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX invites_by_threepid ON invites (medium, address);
CREATE INDEX invites_by_age ON invites (created_at);

-- The public halves of the ephemeral keys made for invitations, until purged.
CREATE TABLE ephemeral_keys (
    public_key TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE INDEX ephemeral_keys_by_age ON ephemeral_keys (created_at);
