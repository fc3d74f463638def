ALTER TABLE users ADD COLUMN index_tokens INTEGER NOT NULL DEFAULT 0;
UPDATE users SET index_tokens = (
    SELECT COALESCE(SUM(length(b.tokens) / 16), 0) FROM blobs b WHERE b.user_id = users.id AND b.state = 1
);
CREATE INDEX blobs_by_creation ON blobs (state, created_at);
