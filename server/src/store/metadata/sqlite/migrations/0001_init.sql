CREATE TABLE IF NOT EXISTS server_settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id                   INTEGER PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    token_hash           BLOB NOT NULL UNIQUE,
    tier                 TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    storage_used         INTEGER NOT NULL DEFAULT 0,
    stripe_customer      TEXT UNIQUE,
    stripe_event_created INTEGER
);
CREATE TABLE IF NOT EXISTS account_keys (
    user_id           INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    envelope          TEXT NOT NULL,
    recovery_envelope TEXT,
    keyring           TEXT NOT NULL,
    revision          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    device_os    TEXT NOT NULL,
    app_version  TEXT,
    created_at   INTEGER NOT NULL,
    last_sync_at INTEGER,
    PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blob_id      BLOB NOT NULL,
    blob_type    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    time_start   INTEGER NOT NULL,
    time_end     INTEGER NOT NULL,
    size_bytes   INTEGER NOT NULL,
    checksum     BLOB NOT NULL,
    key_id       BLOB NOT NULL,
    tokens       BLOB NOT NULL,
    state        INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER,
    UNIQUE (user_id, blob_id)
);
CREATE INDEX IF NOT EXISTS blobs_by_time ON blobs (user_id, state, time_start, blob_id);
CREATE INDEX IF NOT EXISTS blobs_by_end ON blobs (state, time_end);
CREATE INDEX IF NOT EXISTS blobs_by_update ON blobs (state, updated_at);
CREATE TABLE IF NOT EXISTS blob_tokens (
    user_id    INTEGER NOT NULL,
    token      BLOB NOT NULL,
    blob_ref   INTEGER NOT NULL,
    time_start INTEGER NOT NULL,
    time_end   INTEGER NOT NULL,
    type_code  INTEGER NOT NULL,
    PRIMARY KEY (user_id, token, blob_ref)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stripe_events (
    event_id    TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL
);
