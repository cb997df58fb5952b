-- stepd schema version 4, PostgreSQL dialect (keep migrations/sqlite/0004_access_keys.sql in
-- step): the access keys clients authenticate with (core/auth/README.md).

-- SigV4 needs the secret itself to check a signature, so it cannot be kept as a one-way hash.
-- secret_ciphertext is the secret sealed with AES-256-GCM under the master key, which lives in
-- a file outside this database (hex text: version, nonce, ciphertext, tag). revoked_ms is 0
-- while the key works; a revoked row is kept so that its id is never issued again.
CREATE TABLE access_keys (
  access_key_id     TEXT PRIMARY KEY,
  role              TEXT NOT NULL,
  secret_ciphertext TEXT NOT NULL,
  created_ms        BIGINT NOT NULL,
  revoked_ms        BIGINT NOT NULL
);
