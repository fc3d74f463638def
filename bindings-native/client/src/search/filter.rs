//! [`SearchFilter`]: screenpipe's `/search` filters (`content_type`, `app_name`, `window_name`,
//! `browser_url`, `min_length`, `max_length`, `speaker_name`, `device_name`), one rule for local
//! and cloud items alike.
//!
//! How each compares (screenpipe uses FTS column filters; here the fields themselves are
//! compared, case-insensitively):
//!
//! - `content_type`: see [`ContentType`].
//! - `app_name`, `window_name`, `browser_url`: the field contains the value. Audio items have
//!   none of these, so a filter on them leaves audio out (as screenpipe does).
//! - `min_length`, `max_length`: the text's length in characters (OCR and UI text, transcription).
//! - `speaker_name`: sync carries no speaker names, so it leaves every audio item out and keeps
//!   the others.
//! - `device_name`: equal to the monitor (OCR) or audio device (Audio) name.
//!
//! Memories have no app, window, URL or device: those filters leave them out.

use super::items::{Content, SearchItem};

/// screenpipe's `content_type`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContentType {
    /// `all` (the default): screen text and transcriptions, as screenpipe's API answers it
    /// (its `UI` items are listed with `accessibility` only).
    #[default]
    All,
    /// `ocr`: screen text.
    Ocr,
    /// `audio`: transcriptions.
    Audio,
    /// `ui` or `accessibility`: frames with accessibility text, as `UI` items.
    Ui,
    /// `input`: keyboard and mouse events (not served here: no items).
    Input,
    /// `memory`: memories (not in `all`, as screenpipe).
    Memory,
}

impl ContentType {
    /// Parses screenpipe's names (`all`, `ocr`, `audio`, `ui`, `accessibility`, `input`,
    /// `memory`; `vision` is screenpipe's older name for `ocr`).
    pub fn parse(text: &str) -> Option<ContentType> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "" | "all" => ContentType::All,
            "ocr" | "vision" => ContentType::Ocr,
            "audio" => ContentType::Audio,
            "ui" | "accessibility" => ContentType::Ui,
            "input" => ContentType::Input,
            "memory" => ContentType::Memory,
            _ => return None,
        })
    }

    /// True when items of this content belong to the type.
    pub fn admits(self, content: &Content) -> bool {
        matches!(
            (self, content),
            (ContentType::All, Content::Ocr(_) | Content::Audio(_))
                | (ContentType::Ocr, Content::Ocr(_))
                | (ContentType::Audio, Content::Audio(_))
                | (ContentType::Ui, Content::Ui(_))
                | (ContentType::Memory, Content::Memory(_))
        )
    }

    /// True when this type is not served (its answer is always empty).
    pub fn unsupported(self) -> bool {
        matches!(self, ContentType::Input)
    }
}

/// screenpipe's filters; the default keeps every screen text and transcription.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchFilter {
    /// Which items.
    pub content_type: ContentType,
    /// The app name contains this.
    pub app_name: Option<String>,
    /// The window name contains this.
    pub window_name: Option<String>,
    /// The browser URL contains this.
    pub browser_url: Option<String>,
    /// The text has at least this many characters.
    pub min_length: Option<usize>,
    /// The text has at most this many characters.
    pub max_length: Option<usize>,
    /// The speaker's name (sync carries none: audio items are left out).
    pub speaker_name: Option<String>,
    /// The monitor or audio device is this one.
    pub device_name: Option<String>,
}

/// True when `field` contains `wanted`, ignoring case.
fn contains(field: Option<&str>, wanted: &str) -> bool {
    field.is_some_and(|f| f.to_lowercase().contains(&wanted.to_lowercase()))
}

impl SearchFilter {
    /// True when `item` passes every filter.
    pub fn accepts(&self, item: &SearchItem) -> bool {
        let c = &item.content;
        if !self.content_type.admits(c) {
            return false;
        }
        let (app, window, url, device) = match c {
            Content::Ocr(o) => (
                Some(o.app_name.as_str()),
                Some(o.window_name.as_str()),
                o.browser_url.as_deref(),
                Some(o.device_name.as_str()),
            ),
            Content::Ui(u) => (Some(u.app_name.as_str()), Some(u.window_name.as_str()), u.browser_url.as_deref(), None),
            Content::Audio(a) => (None, None, None, Some(a.device_name.as_str())),
            Content::Memory(_) => (None, None, None, None),
        };
        let text_len = c.text().chars().count();
        self.app_name.as_deref().is_none_or(|w| contains(app, w))
            && self.window_name.as_deref().is_none_or(|w| contains(window, w))
            && self.browser_url.as_deref().is_none_or(|w| contains(url, w))
            && self.min_length.is_none_or(|n| text_len >= n)
            && self.max_length.is_none_or(|n| text_len <= n)
            && (self.speaker_name.is_none() || !matches!(c, Content::Audio(_)))
            && self.device_name.as_deref().is_none_or(|d| device.is_some_and(|have| have.eq_ignore_ascii_case(d)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::items::{AudioView, FrameView};
    use sync_core::UnixMillis;

    fn frame(app: &str, url: Option<&str>, accessibility: bool) -> Vec<SearchItem> {
        let view = FrameView {
            frame_id: 1,
            stored_timestamp: "2026-02-01T00:00:00Z",
            time: UnixMillis(1),
            text: Some("quarterly budget review"),
            accessibility_text: accessibility.then_some("quarterly budget review"),
            app_name: Some(app),
            window_name: Some("Budget.xlsx"),
            offset_index: 0,
            browser_url: url,
            focused: None,
            frame_name: None,
            device_name: Some("monitor_1"),
            file_path: String::new(),
            chunk_file_path: String::new(),
            text_source: None,
            capture_trigger: None,
        };
        std::iter::once(view.ocr()).chain(view.ui()).map(item).collect()
    }

    fn audio() -> SearchItem {
        item(
            AudioView {
                chunk_id: 1,
                transcription: "budget call",
                stored_timestamp: "2026-02-01T00:00:00Z",
                time: UnixMillis(1),
                file_path: String::new(),
                offset_index: 0,
                device: Some("MacBook Mic"),
                is_input_device: Some(true),
                speaker_id: None,
                start_time: None,
                end_time: None,
                engine: None,
            }
            .audio(),
        )
    }

    fn item(content: Content) -> SearchItem {
        SearchItem {
            content,
            source: "local",
            device_id: "d".into(),
            table: "frames",
            origin_row_id: 1,
            time: UnixMillis(1),
            snapshot: None,
        }
    }

    fn kinds(filter: &SearchFilter, items: &[SearchItem]) -> Vec<&'static str> {
        items.iter().filter(|i| filter.accepts(i)).map(|i| i.content.kind()).collect()
    }

    #[test]
    fn content_types_and_filters_as_screenpipe() {
        let mut items = frame("Firefox", Some("https://example.com/budget"), true);
        items.push(audio());
        let f = |content_type| SearchFilter { content_type, ..SearchFilter::default() };
        assert_eq!(kinds(&f(ContentType::All), &items), ["OCR", "Audio"]);
        assert_eq!(kinds(&f(ContentType::Ocr), &items), ["OCR"]);
        assert_eq!(kinds(&f(ContentType::Ui), &items), ["UI"]);
        assert_eq!(kinds(&f(ContentType::Audio), &items), ["Audio"]);
        assert!(kinds(&f(ContentType::Memory), &items).is_empty());
        assert_eq!(ContentType::parse("Accessibility"), Some(ContentType::Ui));
        assert_eq!(ContentType::parse("vision"), Some(ContentType::Ocr));
        assert_eq!(ContentType::parse("video"), None);
        assert!(ContentType::Input.unsupported() && !ContentType::Memory.unsupported());

        let app = SearchFilter { app_name: Some("firefox".into()), ..SearchFilter::default() };
        assert_eq!(kinds(&app, &items), ["OCR"], "audio has no app: left out");
        let url = SearchFilter { browser_url: Some("example.com".into()), ..SearchFilter::default() };
        assert_eq!(kinds(&url, &items), ["OCR"]);
        let chrome = SearchFilter { app_name: Some("chrome".into()), ..SearchFilter::default() };
        assert!(kinds(&chrome, &items).is_empty());
        let device = SearchFilter { device_name: Some("macbook mic".into()), ..SearchFilter::default() };
        assert_eq!(kinds(&device, &items), ["Audio"]);
        let speaker = SearchFilter { speaker_name: Some("Ada".into()), ..SearchFilter::default() };
        assert_eq!(kinds(&speaker, &items), ["OCR"], "no speaker names in sync: audio left out");
        let long = SearchFilter { min_length: Some(12), ..SearchFilter::default() };
        assert_eq!(kinds(&long, &items), ["OCR"]);
        let short = SearchFilter { max_length: Some(11), ..SearchFilter::default() };
        assert_eq!(kinds(&short, &items), ["Audio"]);
        assert!(
            frame("Code", None, false).iter().all(|i| i.content.kind() == "OCR"),
            "no UI item without accessibility text"
        );
    }
}
