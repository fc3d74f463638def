//! The Stripe webhook: signatures, replays, ordering, linking, unknown prices and events.

use serde_json::json;

use crate::common::*;

fn signed(payload: &str) -> String {
    sync_server::stripe::sign_payload(STRIPE_SECRET, payload.as_bytes(), sync_server::time::now_secs())
}

#[tokio::test]
async fn stripe_webhook() {
    let ts = TestServer::start().await;
    let api = ts.api(&ts.add_user("ivy@example.com", "none").await, "i1");
    let reference = ts.billing_reference("ivy@example.com").await;
    let hook = format!("{}/api/sync/webhooks/stripe", ts.base);
    let send = |payload: String, header: String| {
        let http = ts.http.clone();
        let hook = hook.clone();
        async move { http.send("POST", &hook, &[("stripe-signature", &header)], payload).await }
    };
    let created = stripe_event(
        "evt_1",
        "customer.subscription.created",
        100,
        "cus_ivy",
        Some(&reference),
        "active",
        &["price_pro"],
    );
    // Bad signatures: wrong secret, tampered payload, stale timestamp, missing, malformed.
    let wrong = sync_server::stripe::sign_payload("whsec_other", created.as_bytes(), sync_server::time::now_secs());
    send(created.clone(), wrong).await.expect_error(400, "BAD_SIGNATURE");
    send(created.replace("price_pro", "price_team"), signed(&created)).await.expect_error(400, "BAD_SIGNATURE");
    let old = sync_server::stripe::sign_payload(STRIPE_SECRET, created.as_bytes(), sync_server::time::now_secs() - 301);
    send(created.clone(), old).await.expect_error(400, "BAD_SIGNATURE");
    send(created.clone(), "t=1,v1=zz".into()).await.expect_error(400, "BAD_SIGNATURE");
    ts.http.send("POST", &hook, &[], created.clone()).await.expect_error(400, "BAD_SIGNATURE");
    // Nothing changed: still no subscription.
    api.init().await.expect_error(403, "NO_SUBSCRIPTION");
    // A valid event among several v1 signatures.
    let header = signed(&created);
    let (t, v1) = header.split_once(',').unwrap();
    let several = format!("{t},v1={},{v1},v0=ignored", "ab".repeat(32));
    assert_eq!(send(created.clone(), several).await.ok()["result"], "applied");
    api.init().await.ok();
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "pro");
    // Deleted, then the creation replayed: ignored.
    let deleted =
        stripe_event("evt_2", "customer.subscription.deleted", 200, "cus_ivy", None, "canceled", &["price_pro"]);
    assert_eq!(send(deleted.clone(), signed(&deleted)).await.ok()["result"], "applied");
    assert_eq!(send(created.clone(), signed(&created)).await.ok()["result"], "duplicate");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "none");
    // An older event than the last applied one is ignored too.
    let older = stripe_event("evt_3", "customer.subscription.updated", 150, "cus_ivy", None, "active", &["price_team"]);
    assert_eq!(send(older.clone(), signed(&older)).await.ok()["result"], "outdated");
    // A newer one, linked by customer id (no e-mail needed), with the highest tier of its prices.
    let newer = stripe_event(
        "evt_4",
        "customer.subscription.updated",
        300,
        "cus_ivy",
        None,
        "active",
        &["price_starter", "price_team"],
    );
    assert_eq!(send(newer.clone(), signed(&newer)).await.ok()["result"], "applied");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "team");
    // Unknown prices, unknown customers and other event types are acknowledged without change.
    let unknown =
        stripe_event("evt_5", "customer.subscription.updated", 400, "cus_ivy", None, "active", &["price_gold"]);
    assert_eq!(send(unknown.clone(), signed(&unknown)).await.ok()["result"], "unknown_price");
    let stranger = stripe_event(
        "evt_6",
        "customer.subscription.created",
        400,
        "cus_x",
        Some("acct_999_00000000000000000000000000000000"),
        "active",
        &["price_pro"],
    );
    assert_eq!(send(stranger.clone(), signed(&stranger)).await.ok()["result"], "no_user");
    let invoice = json!({"id": "evt_7", "type": "invoice.paid", "created": 1, "data": {"object": {}}}).to_string();
    assert_eq!(send(invoice.clone(), signed(&invoice)).await.ok()["result"], "ignored");
    assert_eq!(send(invoice.clone(), signed(&invoice)).await.ok()["result"], "duplicate");
    assert_eq!(api.get("/status").await.ok()["quota"]["sync_tier"], "team");
    // A signed body that is not an event.
    send("{}".into(), signed("{}")).await.expect_error(400, "INVALID_REQUEST");

    // Without a configured secret the route does not exist.
    let bare = TestServer::start_with(|c| c.stripe.webhook_secret = None).await;
    bare.http
        .send(
            "POST",
            &format!("{}/api/sync/webhooks/stripe", bare.base),
            &[("stripe-signature", &signed(&created))],
            created.clone(),
        )
        .await
        .expect_error(404, "NOT_FOUND");
}

/// Linking a Stripe customer to an account takes the billing reference the server minted for
/// that account: a victim's e-mail in the subscription, a reference forged for the victim, or
/// another account's reference with the victim's id, link nothing; and an account linked once
/// is not linked to another customer by its reference.
#[tokio::test]
async fn only_a_minted_reference_links_a_customer() {
    let ts = TestServer::start().await;
    let victim = ts.api(&ts.add_user("vera@example.com", "pro").await, "v1");
    victim.init().await.ok();
    let attacker = ts.api(&ts.add_user("mal@example.com", "none").await, "m1");
    let hook = format!("{}/api/sync/webhooks/stripe", ts.base);
    let send = |payload: String| {
        let http = ts.http.clone();
        let hook = hook.clone();
        async move { http.send("POST", &hook, &[("stripe-signature", &signed(&payload))], payload).await }
    };
    let event = |id: &str, customer: &str, metadata: serde_json::Value, status: &str| {
        json!({"id": id, "type": "customer.subscription.created", "created": 100,
               "data": {"object": {"customer": customer, "status": status, "metadata": metadata,
                                   "items": {"data": [{"price": {"id": "price_starter"}}]}}}})
        .to_string()
    };
    // The attacker subscribes, then cancels, naming the victim: by e-mail, a forged reference,
    // their own reference with the victim's id.
    let victim_id: i64 = {
        let theirs = ts.billing_reference("vera@example.com").await;
        theirs.split('_').nth(1).unwrap().parse().unwrap()
    };
    let own = ts.billing_reference("mal@example.com").await;
    let forged_mac = own.rsplit('_').next().unwrap().to_owned();
    for (i, metadata) in [
        json!({"email": "vera@example.com"}),
        json!({"sync_account": format!("acct_{victim_id}_{}", "0".repeat(32))}),
        json!({"sync_account": format!("acct_{victim_id}_{forged_mac}")}),
    ]
    .into_iter()
    .enumerate()
    {
        let created = event(&format!("evt_a{i}"), "cus_mal", metadata.clone(), "active");
        assert_eq!(send(created).await.ok()["result"], "no_user");
        let cancelled = event(&format!("evt_b{i}"), "cus_mal", metadata, "canceled");
        assert_eq!(send(cancelled).await.ok()["result"], "no_user");
    }
    assert_eq!(victim.get("/status").await.ok()["quota"]["sync_tier"], "pro");
    // The attacker's own reference links their own account.
    let linked = event("evt_c", "cus_mal", json!({"sync_account": own}), "active");
    assert_eq!(send(linked).await.ok()["result"], "applied");
    attacker.init().await.ok();
    assert_eq!(attacker.get("/status").await.ok()["quota"]["sync_tier"], "starter");
    // The victim links their own customer; a second customer cannot take the account over,
    // even with its reference.
    let theirs = victim.get("/billing/reference").await.ok()["reference"].as_str().unwrap().to_owned();
    assert_eq!(
        send(event("evt_d", "cus_vera", json!({"sync_account": theirs}), "active")).await.ok()["result"],
        "applied"
    );
    let takeover = event("evt_e", "cus_other", json!({"sync_account": theirs}), "canceled");
    assert_eq!(send(takeover).await.ok()["result"], "no_user");
    assert_eq!(victim.get("/status").await.ok()["quota"]["sync_tier"], "starter");
}
