CREATE TABLE retention_choices (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    blob_type TEXT NOT NULL,
    days      INTEGER NOT NULL,
    PRIMARY KEY (user_id, blob_type)
);
CREATE INDEX blobs_by_type_end ON blobs (user_id, blob_type, time_end);
