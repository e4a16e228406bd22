-- Personal API keys. Only the key's hash is kept; prefix is the first few
-- characters, enough for a member to tell their keys apart. Each key has
-- its own 'api' session, so usage is told per key like per sign-in.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    name         TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    session_id   INTEGER NOT NULL REFERENCES sessions(id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_member ON api_keys(member_id, id);
