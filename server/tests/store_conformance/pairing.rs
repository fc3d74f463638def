//! Pairing mailboxes on every backend: numbers free per account, one joiner, sides kept apart,
//! reading deletes what was read, the message count bound, expiry and closing leave no row.

use sync_core::wire::SyncTier;
use sync_server::domain::pairing::{MAX_MESSAGES, PairRefusal};

use crate::*;

const TTL: i64 = 10 * MINUTE;

#[tokio::test]
async fn mailboxes_relay_once_and_forget() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let ann = user(store, "ann@example.com", SyncTier::Pro).await;
        let bob = user(store, "bob@example.com", SyncTier::Pro).await;
        let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);

        let n = store.open_mailbox(ann.id, a, 41, at(0), at(TTL)).await.unwrap().unwrap();
        assert_eq!(n, 42, "{name}");
        // The same pick gives the next free number; another account may hold the same number.
        assert_eq!(store.open_mailbox(ann.id, c, 41, at(0), at(TTL)).await.unwrap(), Ok(43), "{name}");
        assert_eq!(store.open_mailbox(bob.id, a, 41, at(0), at(TTL)).await.unwrap(), Ok(42), "{name}");

        // Bob's mailbox 42 is not Ann's.
        assert_eq!(store.join_mailbox(ann.id, 42, b, at(1)).await.unwrap(), Ok(at(TTL)), "{name}");
        assert_eq!(store.join_mailbox(ann.id, 42, c, at(1)).await.unwrap(), Err(PairRefusal::Taken), "{name}");
        assert_eq!(store.join_mailbox(ann.id, 99, c, at(1)).await.unwrap(), Err(PairRefusal::NotFound), "{name}");

        let post = |token, text: &str, when| {
            let text = text.to_owned();
            async move { store.post_pair_message(ann.id, 42, token, text, when).await.unwrap() }
        };
        assert_eq!(post(a, "m1", at(2)).await, Ok(1), "{name}");
        assert_eq!(post(c, "x", at(2)).await, Err(PairRefusal::Forbidden), "{name}");
        assert_eq!(post(b, "m2", at(3)).await, Ok(2), "{name}");
        assert_eq!(post(b, "m3", at(3)).await, Ok(3), "{name}");
        let read = |token, since| async move {
            store.read_pair_messages(ann.id, 42, token, since, at(4)).await.unwrap().unwrap()
        };
        let texts = |m: Vec<sync_core::wire::pair::PairDelivery>| -> Vec<(u32, String)> {
            m.into_iter().map(|d| (d.seq, d.message)).collect()
        };
        assert_eq!(texts(read(b, 0).await), vec![(1, "m1".to_owned())], "{name}");
        assert_eq!(texts(read(a, 0).await), vec![(2, "m2".to_owned()), (3, "m3".to_owned())], "{name}");
        assert_eq!(texts(read(a, 2).await), vec![(3, "m3".to_owned())], "{name}");
        // Read messages are deleted: asking from 0 again does not bring them back.
        assert_eq!(texts(read(a, 0).await), vec![(3, "m3".to_owned())], "{name}");
        assert_eq!(texts(read(b, 1).await), vec![], "{name}");
        // Bob's account reads nothing of Ann's mailbox, even with its tokens.
        assert_eq!(
            store.read_pair_messages(bob.id, 42, b, 0, at(4)).await.unwrap(),
            Err(PairRefusal::Forbidden),
            "{name}"
        );

        // The count bound holds for read messages too.
        for seq in 4..=MAX_MESSAGES {
            assert_eq!(post(a, "m", at(5)).await, Ok(seq), "{name}");
        }
        assert_eq!(post(b, "m", at(5)).await, Err(PairRefusal::Full), "{name}");

        // Past the deadline nothing answers; closing is still allowed, by either side only.
        assert_eq!(post(a, "late", at(TTL)).await, Err(PairRefusal::Expired), "{name}");
        assert_eq!(store.join_mailbox(ann.id, 43, b, at(TTL)).await.unwrap(), Err(PairRefusal::Expired), "{name}");
        assert_eq!(store.close_mailbox(ann.id, 42, c).await.unwrap(), Err(PairRefusal::Forbidden), "{name}");
        assert_eq!(store.close_mailbox(ann.id, 42, b).await.unwrap(), Ok(()), "{name}");
        assert_eq!(store.close_mailbox(ann.id, 42, b).await.unwrap(), Err(PairRefusal::NotFound), "{name}");

        // The cleanup removes the expired ones (Ann's 43, Bob's 42), and only those.
        let fresh = store.open_mailbox(bob.id, c, 0, at(TTL - 1), at(2 * TTL)).await.unwrap().unwrap();
        assert_eq!(store.remove_expired_mailboxes(at(TTL)).await.unwrap(), 2, "{name}");
        assert_eq!(store.remove_expired_mailboxes(at(TTL)).await.unwrap(), 0, "{name}");
        assert_eq!(store.join_mailbox(bob.id, fresh, b, at(TTL)).await.unwrap(), Ok(at(2 * TTL)), "{name}");
    }
}

#[tokio::test]
async fn opening_bounds_an_account_and_reuses_expired_numbers() {
    for backend in backends().await {
        let store = backend.store.as_ref();
        let name = backend.name;
        let cy = user(store, "cy@example.com", SyncTier::Pro).await;
        for pick in 0..4 {
            assert_eq!(store.open_mailbox(cy.id, [9; 32], pick, at(0), at(MINUTE)).await.unwrap(), Ok(pick as u16 + 1));
        }
        assert_eq!(
            store.open_mailbox(cy.id, [9; 32], 0, at(1), at(MINUTE)).await.unwrap(),
            Err(PairRefusal::Limit),
            "{name}"
        );
        // Once they expire, opening removes them (with their messages) and reuses the numbers.
        store.post_pair_message(cy.id, 1, [9; 32], "m".into(), at(1)).await.unwrap().unwrap();
        assert_eq!(store.open_mailbox(cy.id, [8; 32], 0, at(MINUTE), at(2 * MINUTE)).await.unwrap(), Ok(1), "{name}");
        assert_eq!(
            store.read_pair_messages(cy.id, 1, [8; 32], 0, at(MINUTE)).await.unwrap(),
            Ok(vec![]),
            "{name}: a reused number starts empty"
        );
        // Deleting the account deletes its mailboxes.
        store.delete_user(cy.id).await.unwrap();
        assert_eq!(store.remove_expired_mailboxes(at(10 * MINUTE)).await.unwrap(), 0, "{name}");
    }
}
