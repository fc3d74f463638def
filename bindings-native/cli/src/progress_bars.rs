//! Progress for the command line: indicatif bars on a terminal, plain warnings otherwise.

use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sync_client::{Progress, Stage};

/// Warnings on stderr, no bars.
pub struct Plain {
    /// Print warnings.
    pub warnings: bool,
}

impl Progress for Plain {
    fn warn(&self, message: &str) {
        if self.warnings {
            eprintln!("warning: {message}");
        }
    }
}

/// One bar per stage.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<(Stage, ProgressBar)>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars { multi: MultiProgress::new(), bars: Mutex::new(Vec::new()) }
    }

    fn bar(&self, stage: Stage) -> ProgressBar {
        let mut bars = self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, b)) = bars.iter().find(|(s, _)| *s == stage) {
            return b.clone();
        }
        let template = if stage.is_bytes() {
            "{prefix:>11} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}"
        } else {
            "{prefix:>11} [{bar:30}] {pos}/{len}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self.multi.add(ProgressBar::new(0));
        bar.set_style(style);
        bar.set_prefix(stage.as_str());
        bars.push((stage, bar.clone()));
        bar
    }
}

impl Progress for Bars {
    fn add_total(&self, stage: Stage, total: u64) {
        self.bar(stage).inc_length(total);
    }

    fn advance(&self, stage: Stage, n: u64) {
        if n > 0 {
            self.bar(stage).inc(n);
        }
    }

    fn warn(&self, message: &str) {
        let _ = self.multi.println(format!("warning: {message}"));
    }

    fn finish(&self, stage: Stage) {
        let bars = self.bars.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, b)) = bars.iter().find(|(s, _)| *s == stage) {
            b.finish();
        }
    }
}
