ALTER TABLE blobs ADD COLUMN seq BIGINT;
UPDATE blobs SET seq = id WHERE state = 1;
CREATE UNIQUE INDEX blobs_by_seq ON blobs (user_id, seq);
CREATE TABLE postings (
    user_id  BIGINT NOT NULL,
    token    BYTEA NOT NULL,
    chunk    BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_end BIGINT NOT NULL,
    entries  BIGINT NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (user_id, token, chunk)
);
