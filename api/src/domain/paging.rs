//! Cursor paging for every list endpoint (`shared::paging::Page`). A cursor is the sort key of
//! the last item shown, opaque to callers (base64url of a JSON array); the next page starts
//! after it. Lists are read one item past `limit` to know whether a next page exists.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use shared::paging::{Page, DEFAULT_LIMIT, MAX_LIMIT};

use crate::error::ApiError;

/// The query of a list that has no filters.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A page to read: how many items, and after which sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub after: Option<Vec<String>>,
}

const CURSOR_MAX_CHARS: usize = 1024;

impl PageRequest {
    /// From the `limit` and `cursor` query parameters; `parts` is how many values the list's
    /// sort key has (a cursor of another shape was edited or belongs to another list).
    pub fn parse(
        limit: Option<u32>,
        cursor: Option<&str>,
        parts: usize,
    ) -> Result<PageRequest, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::OutOfBounds(format!(
                "limit must be between 1 and {MAX_LIMIT}."
            )));
        }
        let after = cursor.map(|c| decode(c, parts)).transpose()?;
        Ok(PageRequest {
            limit: limit as usize,
            after,
        })
    }

    /// How many rows to read: one more than shown.
    pub fn fetch(&self) -> i64 {
        i64::try_from(self.limit + 1).unwrap_or(i64::MAX)
    }

    /// The sort key value `i` of the cursor.
    pub fn after_part(&self, i: usize) -> Option<&str> {
        self.after
            .as_ref()
            .and_then(|a| a.get(i))
            .map(String::as_str)
    }
}

fn bad_cursor() -> ApiError {
    ApiError::OutOfBounds(
        "cursor is not one this list gave out; follow `next` as it is, or start again without it."
            .into(),
    )
}

fn decode(cursor: &str, parts: usize) -> Result<Vec<String>, ApiError> {
    if cursor.len() > CURSOR_MAX_CHARS {
        return Err(bad_cursor());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad_cursor())?;
    let key: Vec<String> = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if key.len() != parts {
        return Err(bad_cursor());
    }
    Ok(key)
}

pub fn encode(key: &[String]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Where the list lives: its path and the query parameters of this request other than
/// `cursor`, which `next` repeats.
#[derive(Debug, Clone)]
pub struct ListAddress {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl ListAddress {
    /// The page after the one ending at `key`.
    pub fn next(&self, key: &[String]) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.query.iter().filter(|(k, _)| k != "cursor") {
            query.append_pair(k, v);
        }
        query.append_pair("cursor", &encode(key));
        format!("{}?{}", self.path, query.finish())
    }
}

/// Cuts rows read with [`PageRequest::fetch`] to a page, with `next` when more follow.
pub fn page<T>(
    mut rows: Vec<T>,
    request: &PageRequest,
    address: &ListAddress,
    key: impl Fn(&T) -> Vec<String>,
) -> Page<T> {
    let more = rows.len() > request.limit;
    rows.truncate(request.limit);
    let next = if more {
        rows.last().map(|last| address.next(&key(last)))
    } else {
        None
    };
    Page { items: rows, next }
}

/// Which way a list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Ascending,
    Descending,
}

/// Pages a short list read whole (an account's members or tokens), in `order` of `key`.
pub fn page_in_memory<T>(
    items: Vec<T>,
    request: &PageRequest,
    address: &ListAddress,
    order: Order,
    key: impl Fn(&T) -> Vec<String>,
) -> Page<T> {
    let rows: Vec<T> = items
        .into_iter()
        .filter(|item| match &request.after {
            None => true,
            Some(after) => match order {
                Order::Ascending => key(item) > *after,
                Order::Descending => key(item) < *after,
            },
        })
        .take(request.limit + 1)
        .collect();
    page(rows, request, address, key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn address() -> ListAddress {
        ListAddress {
            path: "/api/v1/users".into(),
            query: vec![
                ("q".into(), "ann lee".into()),
                ("cursor".into(), "old".into()),
                ("limit".into(), "2".into()),
            ],
        }
    }

    #[test]
    fn next_repeats_the_query_with_a_new_cursor() {
        let request = PageRequest::parse(Some(2), None, 2).unwrap();
        let page = page(vec![1, 2, 3], &request, &address(), |n| {
            vec![n.to_string(), "x".into()]
        });
        assert_eq!(page.items, [1, 2]);
        let next = page.next.unwrap();
        assert!(
            next.starts_with("/api/v1/users?q=ann+lee&limit=2&cursor="),
            "{next}"
        );
        let cursor = next.rsplit_once("cursor=").unwrap().1;
        let again = PageRequest::parse(Some(2), Some(cursor), 2).unwrap();
        assert_eq!(again.after_part(0), Some("2"));
    }

    #[test]
    fn the_last_page_has_no_next() {
        let request = PageRequest::parse(Some(3), None, 1).unwrap();
        let page = page(vec![1, 2, 3], &request, &address(), |n| vec![n.to_string()]);
        assert_eq!(page.items.len(), 3);
        assert!(page.next.is_none());
    }

    #[test]
    fn edited_cursors_and_limits_are_refused() {
        assert!(PageRequest::parse(Some(0), None, 1).is_err());
        assert!(PageRequest::parse(Some(501), None, 1).is_err());
        assert!(PageRequest::parse(None, Some("not base64!"), 1).is_err());
        let two = encode(&["a".into(), "b".into()]);
        assert!(PageRequest::parse(None, Some(&two), 1).is_err());
        assert!(PageRequest::parse(None, Some(&two), 2).is_ok());
    }
}
