//! The state file's tables (`CREATE TABLE IF NOT EXISTS`: opening a file creates what is
//! missing, so a table added later, like `snapshots`, appears in an older file without a
//! version change) and their version.

/// The version of [`SCHEMA`], kept in `meta.schema_version`; another version is refused.
pub(super) const SCHEMA_VERSION: &str = "1";

/// Every table and index of the state file.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, last_row_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_uploads (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    checksum TEXT NOT NULL,
    key_id TEXT NOT NULL,
    tokens TEXT NOT NULL,
    staging_file TEXT NOT NULL,
    records INTEGER NOT NULL,
    media_table TEXT,
    media_row_id INTEGER,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS sync_state (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    records INTEGER NOT NULL,
    synced_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_state_time ON sync_state(time_start);
CREATE TABLE IF NOT EXISTS media (
    source_table TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source_table, row_id)
);
CREATE TABLE IF NOT EXISTS snapshots (
    frame_row_id INTEGER PRIMARY KEY,
    blob_id TEXT,
    entry TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pulled_blobs (
    blob_id TEXT PRIMARY KEY,
    blob_type TEXT NOT NULL,
    device_id TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    pulled_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS blob_checksums (
    blob_id TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    checksum TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS file_proofs (
    source_table TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    entry TEXT,
    path TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    plain_size INTEGER NOT NULL,
    plain_sha256 TEXT NOT NULL,
    PRIMARY KEY (source_table, row_id)
);
CREATE INDEX IF NOT EXISTS file_proofs_time ON file_proofs(time_ms);
CREATE TABLE IF NOT EXISTS archive_journal (
    source_table TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source_table, row_id)
);
CREATE TABLE IF NOT EXISTS cloud_damage (
    blob_id TEXT PRIMARY KEY,
    problem TEXT NOT NULL,
    detail TEXT NOT NULL,
    seen_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS text_drops (
    source_table TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    blob_id TEXT NOT NULL,
    time_start INTEGER NOT NULL,
    time_end INTEGER NOT NULL,
    PRIMARY KEY (source_table, row_id)
);
CREATE INDEX IF NOT EXISTS text_drops_time ON text_drops(time_start, time_end);
CREATE TABLE IF NOT EXISTS pending_media (
    blob_id TEXT PRIMARY KEY,
    dest_path TEXT NOT NULL,
    origin_device TEXT NOT NULL,
    status TEXT NOT NULL,
    last_error TEXT,
    updated_at INTEGER NOT NULL
);
";
