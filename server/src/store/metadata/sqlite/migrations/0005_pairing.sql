CREATE TABLE pair_mailboxes (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mailbox    INTEGER NOT NULL,
    initiator  BLOB NOT NULL,
    joiner     BLOB,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    posted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, mailbox)
);
CREATE INDEX pair_mailboxes_by_expiry ON pair_mailboxes (expires_at);
CREATE TABLE pair_messages (
    user_id INTEGER NOT NULL,
    mailbox INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    side    INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (user_id, mailbox, seq),
    FOREIGN KEY (user_id, mailbox) REFERENCES pair_mailboxes (user_id, mailbox) ON DELETE CASCADE
);
