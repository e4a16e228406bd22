-- Members, their sign-in sessions and the keys that sign cookies.
CREATE TABLE members (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash  TEXT    NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    daily_tokens   INTEGER,            -- NULL: the configured default
    monthly_micros INTEGER,            -- NULL: the configured default
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    token_hash   TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL DEFAULT 'web' CHECK (kind IN ('web', 'api')),
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    ended_at     INTEGER
);
CREATE INDEX sessions_member ON sessions(member_id, created_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- A job is one prompt form submission: count images of one model.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    session_id   INTEGER NOT NULL REFERENCES sessions(id),
    model        TEXT    NOT NULL,
    prompt       TEXT    NOT NULL,
    aspect_ratio TEXT    NOT NULL,
    size         TEXT    NOT NULL,
    count        INTEGER NOT NULL CHECK (count BETWEEN 1 AND 4),
    seed         INTEGER NOT NULL DEFAULT 0,
    calls        INTEGER NOT NULL CHECK (calls >= 1),
    status       TEXT    NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'running', 'done', 'failed', 'canceled')),
    reason       TEXT    NOT NULL DEFAULT '',
    est_tokens   INTEGER NOT NULL,
    est_micros   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    started_at   INTEGER,
    finished_at  INTEGER
);
CREATE INDEX jobs_member ON jobs(member_id, id);
CREATE INDEX jobs_status ON jobs(status) WHERE status IN ('queued', 'running');

-- Every upstream call, written before it is sent and completed after, so a
-- restart can tell a call that may have been billed from one never sent.
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs(id),
    call        INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT    NOT NULL DEFAULT 'pending',
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX attempts_job ON attempts(job_id, call);

CREATE TABLE images (
    id               INTEGER PRIMARY KEY,
    job_id           INTEGER NOT NULL REFERENCES jobs(id),
    member_id        INTEGER NOT NULL REFERENCES members(id),
    call             INTEGER NOT NULL,
    position         INTEGER NOT NULL,
    model            TEXT    NOT NULL,
    prompt           TEXT    NOT NULL,
    aspect_ratio     TEXT    NOT NULL,
    size             TEXT    NOT NULL,
    seed             INTEGER NOT NULL,
    mime             TEXT    NOT NULL,
    width            INTEGER NOT NULL,
    height           INTEGER NOT NULL,
    sha256           TEXT    NOT NULL,
    data             BLOB    NOT NULL,
    thumb            BLOB    NOT NULL,
    rewritten_prompt TEXT    NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    UNIQUE (job_id, call, position)
);
CREATE INDEX images_newest ON images(id DESC);
CREATE INDEX images_member ON images(member_id, id);

-- The append-only usage ledger. A reserve row holds a job's estimate; each
-- call then releases its share of it with a settle row (what the provider
-- billed) or a refund row (nothing billed). Budgets count every row by the
-- day of the job it belongs to, so a reservation and its release always fall
-- in the same period.
CREATE TABLE ledger (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('reserve', 'settle', 'refund')),
    member_id       INTEGER NOT NULL REFERENCES members(id),
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    job_id          INTEGER NOT NULL REFERENCES jobs(id),
    call            INTEGER NOT NULL DEFAULT -1,
    model           TEXT    NOT NULL,
    reserved_tokens INTEGER NOT NULL,  -- change in the amount held
    reserved_micros INTEGER NOT NULL,
    spent_tokens    INTEGER NOT NULL,  -- change in the amount spent
    spent_micros    INTEGER NOT NULL,
    prompt_tokens   INTEGER NOT NULL DEFAULT 0,
    image_tokens    INTEGER NOT NULL DEFAULT 0,
    text_tokens     INTEGER NOT NULL DEFAULT 0,
    thought_tokens  INTEGER NOT NULL DEFAULT 0,
    estimated       INTEGER NOT NULL DEFAULT 0, -- 1: usage missing, charged at estimate
    period_at       INTEGER NOT NULL,           -- the job's creation time
    created_at      INTEGER NOT NULL,
    UNIQUE (job_id, call)
);
CREATE INDEX ledger_member_period ON ledger(member_id, period_at);
CREATE INDEX ledger_period ON ledger(period_at);
CREATE INDEX ledger_session ON ledger(session_id);
