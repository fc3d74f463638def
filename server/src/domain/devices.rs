//! Devices: an account registers each device through `/init`, within its tier's device limit.
//!
//! A registered device may initialise again at any time (its name, OS and version are
//! refreshed), even over the limit (after a downgrade); only a new device counts against it.

use super::model::RegisterOutcome;

/// What registering a device does, given whether it is registered already, how many devices
/// the account has, and the tier's limit (`None`: unlimited): [`RegisterOutcome::Registered`]
/// (insert it), [`RegisterOutcome::AlreadyRegistered`] (refresh it) or
/// [`RegisterOutcome::LimitExceeded`] (change nothing).
pub fn register(already_registered: bool, device_count: u64, limit: Option<u32>) -> RegisterOutcome {
    if already_registered {
        return RegisterOutcome::AlreadyRegistered;
    }
    match limit {
        Some(limit) if device_count >= u64::from(limit) => RegisterOutcome::LimitExceeded,
        _ => RegisterOutcome::Registered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_devices_count() {
        assert_eq!(register(false, 2, Some(3)), RegisterOutcome::Registered);
        assert_eq!(register(false, 3, Some(3)), RegisterOutcome::LimitExceeded);
        assert_eq!(register(true, 5, Some(3)), RegisterOutcome::AlreadyRegistered);
        assert_eq!(register(false, 1000, None), RegisterOutcome::Registered);
        assert_eq!(register(false, 0, Some(0)), RegisterOutcome::LimitExceeded);
    }
}
