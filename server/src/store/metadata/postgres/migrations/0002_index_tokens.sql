ALTER TABLE users ADD COLUMN index_tokens BIGINT NOT NULL DEFAULT 0;
UPDATE users u SET index_tokens = COALESCE(
    (SELECT SUM(octet_length(b.tokens) / 16) FROM blobs b WHERE b.user_id = u.id AND b.state = 1), 0
);
CREATE INDEX blobs_by_creation ON blobs (state, created_at);
