//! The sync server over real HTTP on loopback, one module per concern: the whole flow and the
//! OpenAPI contract, accounts and devices, bad requests, object URLs, uploads, keys, Stripe,
//! cleanup, and what is served outside the API. Every answer is checked against
//! `docs/openapi.yaml` (`common::openapi`). `SYNC_TEST_BACKEND=postgres-s3` runs it all on
//! PostgreSQL + S3.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod batch;
mod cleanup;
mod flow;
mod keys;
mod limits;
mod objects;
mod pair;
mod requests;
mod site;
mod stripe;
mod uploads;
