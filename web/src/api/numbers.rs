//! The number inventory: numbers, their blocks, capacity, and loading new numbers.

use gloo_net::http::Method;
use serde::Deserialize;
use shared::numbers::{
    Capacity, LoadedNumbers, NewNumberBlock, NumberBlock, NumberStatus, PhoneNumber, RejectedRow,
};
use shared::paging::Page;
use uuid::Uuid;

use super::{decode, exchange, non_blank, query_string, request, ApiError, Outgoing, Refusal};

/// What the numbers list is narrowed to. Blank text means no filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NumberFilter {
    pub status: Option<NumberStatus>,
    /// ISO 3166 alpha-2, e.g. `US`.
    pub country: String,
    pub location: String,
    pub block_id: Option<Uuid>,
    /// Searches the number and its holder.
    pub q: String,
    /// Only numbers Teams disagrees about.
    pub conflicts_only: bool,
    /// Numbers per page; the server's default when `None`.
    pub limit: Option<u32>,
}

impl NumberFilter {
    fn query(&self) -> String {
        query_string(&[
            ("status", self.status.map(|s| s.as_str().to_owned())),
            (
                "country",
                non_blank(&self.country).map(|c| c.to_uppercase()),
            ),
            ("location", non_blank(&self.location)),
            ("block_id", self.block_id.map(|id| id.to_string())),
            ("q", non_blank(&self.q)),
            ("conflict", self.conflicts_only.then(|| "true".to_owned())),
            ("limit", self.limit.map(|l| l.to_string())),
        ])
    }
}

/// GET /numbers: the first page of numbers that match.
pub async fn list_numbers(
    token: &str,
    filter: &NumberFilter,
) -> Result<Page<PhoneNumber>, ApiError> {
    let path = format!("/numbers{}", filter.query());
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

/// GET /numbers/capacity: counts by status per block, country and location.
pub async fn capacity(token: &str) -> Result<Capacity, ApiError> {
    request::<(), _>(Method::GET, "/numbers/capacity", Some(token), None).await
}

/// GET /number-blocks: the first page of blocks.
pub async fn list_number_blocks(token: &str) -> Result<Page<NumberBlock>, ApiError> {
    request::<(), _>(Method::GET, "/number-blocks", Some(token), None).await
}

/// What a CSV load does with bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Any bad row refuses the whole file.
    #[default]
    Reject,
    /// Good rows are loaded; bad rows are listed in `rejected`.
    Skip,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Reject => "reject",
            OnError::Skip => "skip",
        }
    }
}

/// A load the server refused, with the rows that caused it when it named them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRefused {
    pub error: ApiError,
    /// The problem's `rejected` extension member: each bad row and why.
    pub rejected: Vec<RejectedRow>,
}

/// POST /number-blocks (JSON): a range or a list of numbers (admins).
pub async fn load_numbers(
    token: &str,
    body: &NewNumberBlock,
) -> Result<LoadedNumbers, LoadRefused> {
    let outgoing = Outgoing::new(Method::POST, "/number-blocks", Some(token))
        .json(body)
        .map_err(|_| LoadRefused {
            error: ApiError::Unreadable,
            rejected: Vec::new(),
        })?;
    load(outgoing).await
}

/// POST /number-blocks (text/csv, header `number,location`): a file of numbers (admins).
pub async fn load_numbers_csv(
    token: &str,
    csv: &str,
    on_error: OnError,
) -> Result<LoadedNumbers, LoadRefused> {
    let path = format!(
        "/number-blocks{}",
        query_string(&[("on_error", Some(on_error.as_str().to_owned()))])
    );
    let mut outgoing = Outgoing::new(Method::POST, &path, Some(token));
    outgoing.body = Some(("text/csv", csv.to_owned()));
    load(outgoing).await
}

async fn load(outgoing: Outgoing<'_>) -> Result<LoadedNumbers, LoadRefused> {
    match exchange(outgoing).await {
        Ok(text) => decode(&text).ok_or(LoadRefused {
            error: ApiError::Unreadable,
            rejected: Vec::new(),
        }),
        Err(Refusal { error, body }) => {
            let rejected = serde_json::from_str::<RejectedMember>(&body)
                .map(|member| member.rejected)
                .unwrap_or_default();
            Err(LoadRefused { error, rejected })
        }
    }
}

/// The extension member of a refused load's problem.
#[derive(Deserialize)]
struct RejectedMember {
    #[serde(default)]
    rejected: Vec<RejectedRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_goes_into_the_query() {
        assert_eq!(NumberFilter::default().query(), "");
        let block = Uuid::nil();
        let filter = NumberFilter {
            status: Some(NumberStatus::Aging),
            country: "gb".into(),
            location: "New York".into(),
            block_id: Some(block),
            q: "555".into(),
            conflicts_only: true,
            limit: None,
        };
        assert_eq!(
            filter.query(),
            format!(
                "?status=aging&country=GB&location=New%20York&block_id={block}&q=555&conflict=true"
            )
        );
    }

    #[test]
    fn the_rejected_rows_of_a_refused_load_are_read_from_the_problem() {
        let body = r#"{"type":"about:blank","title":"Bad rows","status":422,"detail":"2 rows",
            "code":"invalid_rows","rejected":[{"line":3,"value":"12","problem":"not E.164"}]}"#;
        let member: RejectedMember = serde_json::from_str(body).unwrap();
        assert_eq!(member.rejected.len(), 1);
        assert_eq!(member.rejected[0].line, 3);
    }
}
