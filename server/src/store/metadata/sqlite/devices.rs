//! Devices in SQLite: registration under the tier's limit ([`crate::domain::devices`]),
//! lookup, listing, removal.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use sync_core::{DeviceId, UnixMillis};

use super::super::columns::corrupt;
use super::super::{Device, NewDevice, RegisterOutcome};
use crate::domain::devices;
use crate::store::StoreResult;

pub(super) fn register(
    tx: &Transaction<'_>,
    user_id: i64,
    device: NewDevice,
    limit: Option<u32>,
    now: UnixMillis,
) -> StoreResult<RegisterOutcome> {
    let known = tx
        .prepare_cached("SELECT 1 FROM devices WHERE user_id = ?1 AND device_id = ?2")?
        .exists(params![user_id, device.device_id.as_str()])?;
    let count: i64 =
        tx.prepare_cached("SELECT COUNT(*) FROM devices WHERE user_id = ?1")?.query_row([user_id], |r| r.get(0))?;
    let outcome = devices::register(known, u64::try_from(count).unwrap_or(0), limit);
    match outcome {
        RegisterOutcome::AlreadyRegistered => {
            tx.execute(
                "UPDATE devices SET device_name = ?3, device_os = ?4, app_version = ?5
                 WHERE user_id = ?1 AND device_id = ?2",
                params![user_id, device.device_id.as_str(), device.device_name, device.device_os, device.app_version],
            )?;
        }
        RegisterOutcome::Registered => {
            tx.execute(
                "INSERT INTO devices (user_id, device_id, device_name, device_os, app_version, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    user_id,
                    device.device_id.as_str(),
                    device.device_name,
                    device.device_os,
                    device.app_version,
                    now.0
                ],
            )?;
        }
        RegisterOutcome::LimitExceeded => {}
    }
    Ok(outcome)
}

pub(super) fn device(conn: &Connection, user_id: i64, device_id: DeviceId) -> StoreResult<Option<Device>> {
    Ok(conn
        .prepare_cached(
            "SELECT device_name, device_os, app_version, created_at, last_sync_at
             FROM devices WHERE user_id = ?1 AND device_id = ?2",
        )?
        .query_row(params![user_id, device_id.as_str()], |r| {
            Ok(Device {
                device_id: device_id.clone(),
                device_name: r.get(0)?,
                device_os: r.get(1)?,
                app_version: r.get(2)?,
                created_at: UnixMillis(r.get(3)?),
                last_sync_at: r.get::<_, Option<i64>>(4)?.map(UnixMillis),
            })
        })
        .optional()?)
}

/// Every device of the user, oldest first.
pub(super) fn list(conn: &Connection, user_id: i64) -> StoreResult<Vec<Device>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device_id, device_name, device_os, app_version, created_at, last_sync_at
         FROM devices WHERE user_id = ?1 ORDER BY created_at, device_id",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, os, version, created, last) = row?;
        out.push(Device {
            device_id: DeviceId::new(id).map_err(corrupt("device_id"))?,
            device_name: name,
            device_os: os,
            app_version: version,
            created_at: UnixMillis(created),
            last_sync_at: last.map(UnixMillis),
        });
    }
    Ok(out)
}

pub(super) fn remove(tx: &Transaction<'_>, user_id: i64, device_id: &DeviceId) -> StoreResult<bool> {
    Ok(tx.execute("DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id.as_str()])?
        > 0)
}
