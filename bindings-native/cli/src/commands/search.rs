//! `search`: local and cloud results merged, in screenpipe's `/search` shape
//! (`{"data": [...], "pagination": ...}` with `--json`).

use clap::Args;
use serde::Serialize;
use sync_client::SyncError;
use sync_client::config::SyncConfig;
use sync_client::search::{CloudQuery, Content, SearchItem, SearchOptions};

use super::parse_time;
use crate::global::Global;
use crate::output::{Out, exit};

/// The query and its range.
#[derive(Args, Debug)]
pub(crate) struct SearchArgs {
    /// Words that must all appear.
    query: String,
    /// From (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    start: Option<String>,
    /// Until (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    end: Option<String>,
    /// Most results.
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Results skipped first.
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Only the local database.
    #[arg(long, conflicts_with = "cloud_only")]
    local_only: bool,
    /// Only the cloud.
    #[arg(long)]
    cloud_only: bool,
}

/// screenpipe's `/search` answer.
#[derive(Serialize)]
struct SearchOutput<'a> {
    data: &'a [SearchItem],
    pagination: Pagination,
}

/// The page of an answer.
#[derive(Serialize)]
struct Pagination {
    limit: usize,
    offset: usize,
    total: usize,
}

/// Runs `search`.
pub(crate) async fn run(args: &SearchArgs, g: &Global, config: &SyncConfig, out: Out) -> Result<u8, SyncError> {
    let session = g.unlock(config).await?;
    let options = SearchOptions {
        start: args.start.as_deref().map(parse_time).transpose()?,
        end: args.end.as_deref().map(parse_time).transpose()?,
        limit: args.limit,
        offset: args.offset,
        cloud: !args.local_only,
        local: !args.cloud_only,
        ..SearchOptions::default()
    };
    let items = CloudQuery::new(&session).query_all(&args.query, &options).await?;
    let output = SearchOutput {
        data: &items,
        pagination: Pagination { limit: args.limit, offset: args.offset, total: items.len() },
    };
    out.emit(&output, || render(&items));
    Ok(exit::OK)
}

/// One line per result: time, kind, source, app (or audio device), and the text's start.
fn render(items: &[SearchItem]) {
    if items.is_empty() {
        println!("no results");
    }
    for item in items {
        let app = match &item.content {
            Content::Ocr(o) => &o.app_name,
            Content::Ui(u) => &u.app_name,
            Content::Audio(a) => &a.device_name,
            Content::Memory(m) => &m.source,
        };
        let kind = item.content.kind();
        let snippet: String = item.content.text().chars().take(100).collect::<String>().replace('\n', " ");
        println!("{}  {kind:5} {:6} {app}: {snippet}", item.content.timestamp(), item.source);
    }
}
