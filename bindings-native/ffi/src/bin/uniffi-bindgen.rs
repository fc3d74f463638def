//! `uniffi-bindgen`: generates the foreign-language bindings (Python, Kotlin, Swift) of
//! `sync-native`'s uniffi interface from the built cdylib. Used by `generate-bindings.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
