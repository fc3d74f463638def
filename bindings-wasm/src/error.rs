//! Errors as they reach JavaScript: an `Error` named `SyncError` whose `code` is the core's
//! stable code ([`sync_core::Error::code`]) and whose message is the core's readable message.

use sync_core::Error;
use wasm_bindgen::JsValue;

/// What every exported function returns.
pub type JsResult<T> = Result<T, JsValue>;

/// The JavaScript error for a core error.
pub fn to_js(err: &Error) -> JsValue {
    make(err.code(), &err.to_string())
}

/// An `Error` named `SyncError` carrying `code`.
pub fn make(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("SyncError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &JsValue::from_str(code));
    error.into()
}

/// `invalid_input` with a message (a JavaScript value of the wrong type or shape).
pub fn invalid_input(message: &'static str) -> JsValue {
    to_js(&Error::InvalidInput(message))
}

/// Maps a core result into a JavaScript one.
pub trait IntoJs<T> {
    /// The core error as a JavaScript `SyncError`.
    fn js(self) -> JsResult<T>;
}

impl<T> IntoJs<T> for sync_core::Result<T> {
    fn js(self) -> JsResult<T> {
        self.map_err(|e| to_js(&e))
    }
}
