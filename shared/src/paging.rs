//! One paging convention for every list endpoint: a cursor-paged `Page<T>`.

use serde::{Deserialize, Serialize};

/// One page of a list. `next` is the path (with its query) of the following page, absent on
/// the last page. Every list endpoint takes `limit` (items per page) and follows `next` as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Path and query of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> Page<T> {
    pub fn last(items: Vec<T>) -> Page<T> {
        Page { items, next: None }
    }
}

/// Items per page when a request names no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest `limit` a list endpoint accepts.
pub const MAX_LIMIT: u32 = 500;
