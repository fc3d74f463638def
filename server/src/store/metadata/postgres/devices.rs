//! Devices in PostgreSQL: registration under the tier's limit ([`crate::domain::devices`]),
//! lookup, listing, removal.

use deadpool_postgres::GenericClient;
use sync_core::{DeviceId, UnixMillis};

use super::super::columns::corrupt;
use super::super::{Device, NewDevice, RegisterOutcome};
use super::rows::lock_user;
use crate::domain::devices;
use crate::store::StoreResult;

/// Registers or refreshes a device (inside a transaction, under the account's lock).
pub(super) async fn register(
    tx: &impl GenericClient,
    user_id: i64,
    device: &NewDevice,
    limit: Option<u32>,
    now: UnixMillis,
) -> StoreResult<RegisterOutcome> {
    lock_user(tx, user_id).await?;
    let known = tx
        .query_opt(
            "SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2",
            &[&user_id, &device.device_id.as_str()],
        )
        .await?
        .is_some();
    let count: i64 = tx.query_one("SELECT COUNT(*) FROM devices WHERE user_id = $1", &[&user_id]).await?.try_get(0)?;
    let outcome = devices::register(known, u64::try_from(count).unwrap_or(0), limit);
    match outcome {
        RegisterOutcome::AlreadyRegistered => {
            tx.execute(
                "UPDATE devices SET device_name = $3, device_os = $4, app_version = $5
                 WHERE user_id = $1 AND device_id = $2",
                &[&user_id, &device.device_id.as_str(), &device.device_name, &device.device_os, &device.app_version],
            )
            .await?;
        }
        RegisterOutcome::Registered => {
            tx.execute(
                "INSERT INTO devices (user_id, device_id, device_name, device_os, app_version, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &user_id,
                    &device.device_id.as_str(),
                    &device.device_name,
                    &device.device_os,
                    &device.app_version,
                    &now.0,
                ],
            )
            .await?;
        }
        RegisterOutcome::LimitExceeded => {}
    }
    Ok(outcome)
}

pub(super) async fn device(
    client: &impl GenericClient,
    user_id: i64,
    device_id: &DeviceId,
) -> StoreResult<Option<Device>> {
    let stmt = client
        .prepare_cached(
            "SELECT device_name, device_os, app_version, created_at, last_sync_at
             FROM devices WHERE user_id = $1 AND device_id = $2",
        )
        .await?;
    let Some(row) = client.query_opt(&stmt, &[&user_id, &device_id.as_str()]).await? else { return Ok(None) };
    Ok(Some(Device {
        device_id: device_id.clone(),
        device_name: row.try_get(0)?,
        device_os: row.try_get(1)?,
        app_version: row.try_get(2)?,
        created_at: UnixMillis(row.try_get(3)?),
        last_sync_at: row.try_get::<_, Option<i64>>(4)?.map(UnixMillis),
    }))
}

/// Every device of the user, oldest first.
pub(super) async fn list(client: &impl GenericClient, user_id: i64) -> StoreResult<Vec<Device>> {
    let rows = client
        .query(
            "SELECT device_id, device_name, device_os, app_version, created_at, last_sync_at
             FROM devices WHERE user_id = $1 ORDER BY created_at, device_id",
            &[&user_id],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Device {
                device_id: DeviceId::new(row.try_get::<_, String>(0)?).map_err(corrupt("device_id"))?,
                device_name: row.try_get(1)?,
                device_os: row.try_get(2)?,
                app_version: row.try_get(3)?,
                created_at: UnixMillis(row.try_get(4)?),
                last_sync_at: row.try_get::<_, Option<i64>>(5)?.map(UnixMillis),
            })
        })
        .collect()
}

/// Unregisters a device (inside a transaction, under the account's lock).
pub(super) async fn remove(tx: &impl GenericClient, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
    lock_user(tx, user_id).await?;
    let n = tx
        .execute("DELETE FROM devices WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id.as_str()])
        .await?;
    Ok(n > 0)
}
