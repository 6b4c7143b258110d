-- Identity-server account tokens expire (`--identity-account-token-lifetime-secs`) and are
-- purged once expired. Tokens issued before this migration keep working: they never expire.
ALTER TABLE account_tokens ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 9223372036854775807;

CREATE INDEX account_tokens_by_expiry ON account_tokens (expires_at);
