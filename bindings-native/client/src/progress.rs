//! Progress reporting: the library calls a [`Progress`] sink; the CLI draws indicatif bars,
//! a mobile app forwards the events to its UI.

/// A stage of long work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Reading screenpipe's database and sealing bundles and media (unit: records or files).
    Packaging,
    /// Sending ciphertext (unit: bytes).
    Uploading,
    /// Receiving ciphertext (unit: bytes).
    Downloading,
    /// Writing rows into screenpipe's database (unit: blobs).
    Importing,
}

impl Stage {
    /// A short name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Packaging => "packaging",
            Stage::Uploading => "uploading",
            Stage::Downloading => "downloading",
            Stage::Importing => "importing",
        }
    }

    /// True when the unit is bytes.
    pub fn is_bytes(self) -> bool {
        matches!(self, Stage::Uploading | Stage::Downloading)
    }
}

/// Receives progress events. Every method has an empty default; implementations must be cheap
/// (they are called from transfer loops).
pub trait Progress: Send + Sync {
    /// More work of `stage` became known (`total` is added to the stage's total).
    fn add_total(&self, _stage: Stage, _total: u64) {}
    /// `n` units of `stage` were done.
    fn advance(&self, _stage: Stage, _n: u64) {}
    /// A warning worth showing (a missing media file, a rejected blob).
    fn warn(&self, _message: &str) {}
    /// The stage is over.
    fn finish(&self, _stage: Stage) {}
}

/// Ignores every event.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
