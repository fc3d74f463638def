ALTER TABLE blobs ADD COLUMN seq INTEGER;
UPDATE blobs SET seq = id WHERE state = 1;
CREATE UNIQUE INDEX blobs_by_seq ON blobs (user_id, seq);
CREATE TABLE postings (
    user_id  INTEGER NOT NULL,
    token    BLOB NOT NULL,
    chunk    INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_end INTEGER NOT NULL,
    entries  INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (user_id, token, chunk)
) WITHOUT ROWID;
