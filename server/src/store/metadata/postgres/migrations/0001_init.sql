CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
CREATE TABLE users (
    id                   BIGSERIAL PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    token_hash           BYTEA NOT NULL UNIQUE,
    tier                 TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    storage_used         BIGINT NOT NULL DEFAULT 0,
    stripe_customer      TEXT UNIQUE,
    stripe_event_created BIGINT
);
CREATE TABLE account_keys (
    user_id           BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    envelope          TEXT NOT NULL,
    recovery_envelope TEXT,
    keyring           TEXT NOT NULL,
    revision          BIGINT NOT NULL
);
CREATE TABLE devices (
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL,
    device_name  TEXT NOT NULL,
    device_os    TEXT NOT NULL,
    app_version  TEXT,
    created_at   BIGINT NOT NULL,
    last_sync_at BIGINT,
    PRIMARY KEY (user_id, device_id)
);
CREATE TABLE blobs (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blob_id      BYTEA NOT NULL,
    blob_type    TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    time_start   BIGINT NOT NULL,
    time_end     BIGINT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    checksum     BYTEA NOT NULL,
    key_id       BYTEA NOT NULL,
    tokens       BYTEA NOT NULL,
    state        SMALLINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    completed_at BIGINT,
    UNIQUE (user_id, blob_id)
);
CREATE INDEX blobs_by_time ON blobs (user_id, state, time_start, blob_id);
CREATE INDEX blobs_by_end ON blobs (state, time_end);
CREATE INDEX blobs_by_update ON blobs (state, updated_at);
CREATE TABLE blob_tokens (
    user_id    BIGINT NOT NULL,
    token      BYTEA NOT NULL,
    blob_ref   BIGINT NOT NULL,
    time_start BIGINT NOT NULL,
    time_end   BIGINT NOT NULL,
    type_code  SMALLINT NOT NULL,
    PRIMARY KEY (user_id, token, blob_ref)
);
CREATE TABLE stripe_events (
    event_id    TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL
);
