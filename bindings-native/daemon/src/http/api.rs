//! The JSON control API under `/api` (every change carries `X-CSRF-Token`, see [`super::guard`]).
//!
//! | route | does |
//! | --- | --- |
//! | `GET /status` | the status the page shows ([`StatusView`](crate::control::status::StatusView)) |
//! | `GET /config`, `PUT /config` | the options (sync on, frequency, data types, bandwidth limit, pull), written to the config file and applied at once |
//! | `POST /connect` | server, token, password, remember: creates the account's keys (the recovery phrase once) or unlocks them |
//! | `POST /recover` | the recovery phrase and a new password |
//! | `POST /lock` | drops the keys from memory |
//! | `PUT /remember` | keeps the keys in the OS keychain, or forgets them |
//! | `POST /sync` | a cycle now |
//! | `GET /devices`, `DELETE /devices/{id}` | the account's devices; remove another one |
//! | `GET /retention`, `PUT /retention` | the cloud retention chosen per data type (`{"text", "frames", "audio"}`: days or `null`), within the tier's |
//! | `POST /delete-cloud-data` | every blob of the account in the cloud (`{"confirm": true}`) |
//! | `POST /unlink` | this device leaves the account (`{"confirm": true}`) |
//! | `POST /password` | a new password (the current one checked) |
//! | `POST /link/start`, `GET /link`, `POST /link/approve`, `POST /link/cancel` | link a new device: the code and its QR code, the device that typed it, `{"approve": bool}` ([`LinkView`](crate::control::link::LinkView)) |
//! | `POST /join` | server, token, code, remember: this device takes the keys from another one (no password) |
//! | `GET /search-api` | screenpipe's search API on this address: `{"required", "key"}` (the key clients send as `Authorization: Bearer KEY`; `required: false` with `--no-api-key`) |
//!
//! Errors are `{"error", "code", "hint"}` with the status of [`DaemonError::http_status`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use crate::control::Daemon;
use crate::control::account::AccountPlace;
use crate::control::settings::Settings;
use crate::error::DaemonError;

impl IntoResponse for DaemonError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({ "error": self.to_string(), "code": self.code(), "hint": self.hint() });
        (status, Json(body)).into_response()
    }
}

type ApiResult<T> = Result<T, DaemonError>;

/// A JSON body, or `400 bad_request` saying what is wrong with it.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> ApiResult<T> {
    payload.map(|Json(v)| v).map_err(|e| DaemonError::BadRequest(e.body_text()))
}

/// The control API's routes (state: the daemon).
pub fn router() -> Router<Daemon> {
    Router::new()
        .route("/status", get(status))
        .route("/config", get(config).put(set_config))
        .route("/connect", post(connect))
        .route("/recover", post(recover))
        .route("/lock", post(lock))
        .route("/remember", put(remember))
        .route("/sync", post(sync_now))
        .route("/devices", get(devices))
        .route("/retention", get(retention).put(set_retention))
        .route("/devices/{id}", delete(remove_device))
        .route("/delete-cloud-data", post(delete_cloud_data))
        .route("/unlink", post(unlink))
        .route("/password", post(change_password))
        .route("/search-api", get(search_api))
        .route("/link", get(link_view))
        .route("/link/start", post(link_start))
        .route("/link/approve", post(link_approve))
        .route("/link/cancel", post(link_cancel))
        .route("/join", post(join))
}

async fn link_view(State(daemon): State<Daemon>) -> Response {
    Json(daemon.link_view()).into_response()
}

async fn link_start(State(daemon): State<Daemon>) -> ApiResult<Response> {
    Ok(Json(daemon.link_start().await?).into_response())
}

/// `POST /link/approve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    approve: bool,
}

async fn link_approve(
    State(daemon): State<Daemon>,
    payload: Result<Json<ApproveBody>, JsonRejection>,
) -> ApiResult<Response> {
    let b = body(payload)?;
    Ok(Json(daemon.link_answer(b.approve).await?).into_response())
}

async fn link_cancel(State(daemon): State<Daemon>) -> Response {
    daemon.link_cancel().await;
    Json(daemon.link_view()).into_response()
}

/// `POST /join`. No `Debug`: it holds the code and the token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    token: Option<Zeroizing<String>>,
    code: Zeroizing<String>,
    #[serde(default)]
    remember: bool,
}

async fn join(State(daemon): State<Daemon>, payload: Result<Json<JoinBody>, JsonRejection>) -> ApiResult<Response> {
    let b = body(payload)?;
    let place = AccountPlace { server: b.server, token: b.token };
    Ok(Json(daemon.join(&place, &b.code, b.remember).await?).into_response())
}

async fn search_api(State(daemon): State<Daemon>) -> Response {
    let key = daemon.api_key();
    Json(json!({ "required": key.is_some(), "key": key.map(|k| k.reveal()) })).into_response()
}

async fn status(State(daemon): State<Daemon>) -> Response {
    Json(daemon.status()).into_response()
}

async fn config(State(daemon): State<Daemon>) -> ApiResult<Response> {
    Ok(Json(daemon.config_view()?).into_response())
}

async fn set_config(
    State(daemon): State<Daemon>,
    payload: Result<Json<Settings>, JsonRejection>,
) -> ApiResult<Response> {
    let settings = body(payload)?;
    Ok(Json(daemon.set_settings(&settings).await?).into_response())
}

/// `POST /connect`. No `Debug`: it holds secrets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectBody {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    token: Option<Zeroizing<String>>,
    password: Zeroizing<String>,
    #[serde(default)]
    remember: bool,
}

async fn connect(
    State(daemon): State<Daemon>,
    payload: Result<Json<ConnectBody>, JsonRejection>,
) -> ApiResult<Response> {
    let b = body(payload)?;
    let place = AccountPlace { server: b.server, token: b.token };
    Ok(Json(daemon.connect(&place, &b.password, b.remember).await?).into_response())
}

/// `POST /recover`. No `Debug`: it holds secrets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecoverBody {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    token: Option<Zeroizing<String>>,
    recovery_phrase: Zeroizing<String>,
    new_password: Zeroizing<String>,
    #[serde(default)]
    remember: bool,
}

async fn recover(
    State(daemon): State<Daemon>,
    payload: Result<Json<RecoverBody>, JsonRejection>,
) -> ApiResult<Response> {
    let b = body(payload)?;
    let place = AccountPlace { server: b.server, token: b.token };
    Ok(Json(daemon.recover(&place, &b.recovery_phrase, &b.new_password, b.remember).await?).into_response())
}

async fn lock(State(daemon): State<Daemon>) -> StatusCode {
    daemon.lock().await;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RememberBody {
    remember: bool,
}

async fn remember(
    State(daemon): State<Daemon>,
    payload: Result<Json<RememberBody>, JsonRejection>,
) -> ApiResult<Response> {
    let b = body(payload)?;
    let remembered = daemon.set_remember(b.remember).await?;
    Ok(Json(json!({ "remembered": remembered })).into_response())
}

async fn sync_now(State(daemon): State<Daemon>) -> ApiResult<Response> {
    daemon.sync_now()?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "started": true }))).into_response())
}

async fn devices(State(daemon): State<Daemon>) -> ApiResult<Response> {
    Ok(Json(json!({ "devices": daemon.devices().await? })).into_response())
}

async fn retention(State(daemon): State<Daemon>) -> ApiResult<Response> {
    Ok(Json(daemon.cloud_retention().await?).into_response())
}

async fn set_retention(
    State(daemon): State<Daemon>,
    payload: Result<Json<sync_core::wire::RetentionPolicy>, JsonRejection>,
) -> ApiResult<Response> {
    let policy = body(payload)?;
    Ok(Json(daemon.set_cloud_retention(&policy).await?).into_response())
}

async fn remove_device(State(daemon): State<Daemon>, Path(id): Path<String>) -> ApiResult<Response> {
    let removed = daemon.remove_device(&id).await?;
    Ok(Json(json!({ "removed": removed, "device_id": id })).into_response())
}

/// The confirmation a destructive change needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    confirm: bool,
}

fn confirmed(payload: Result<Json<ConfirmBody>, JsonRejection>) -> ApiResult<()> {
    if body(payload)?.confirm { Ok(()) } else { Err(DaemonError::BadRequest("this needs {\"confirm\": true}".into())) }
}

async fn delete_cloud_data(
    State(daemon): State<Daemon>,
    payload: Result<Json<ConfirmBody>, JsonRejection>,
) -> ApiResult<Response> {
    confirmed(payload)?;
    let deleted = daemon.delete_cloud_data().await?;
    Ok(Json(json!({ "deleted_blobs": deleted })).into_response())
}

async fn unlink(
    State(daemon): State<Daemon>,
    payload: Result<Json<ConfirmBody>, JsonRejection>,
) -> ApiResult<StatusCode> {
    confirmed(payload)?;
    daemon.unlink().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /password`. No `Debug`: it holds secrets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: Zeroizing<String>,
    new_password: Zeroizing<String>,
}

async fn change_password(
    State(daemon): State<Daemon>,
    payload: Result<Json<PasswordBody>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let b = body(payload)?;
    daemon.change_password(&b.current_password, &b.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
