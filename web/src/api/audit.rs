//! The audit log: the account's events, newest first, narrowed by actor, user, number, type
//! and time.

use chrono::{DateTime, Days, NaiveDate, Utc};
use gloo_net::http::Method;
use shared::audit::AuditEvent;
use shared::paging::Page;

use super::{non_blank, query_string, request, ApiError};

/// What the audit log is narrowed to. Blank text means no filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditFilter {
    /// `user:<id>`, `token:<id>` or `system`; blank for anyone.
    pub actor: String,
    /// A Microsoft user's object id (a user principal name is looked up first: see
    /// [`AuditFilter::with_user_id`]).
    pub user: String,
    /// A phone number (E.164).
    pub number: String,
    /// One of `shared::audit::EVENT_TYPES`; blank for any.
    pub kind: String,
    /// The first day (`YYYY-MM-DD`, UTC) as a date input gives it; blank for no start.
    pub from: String,
    /// The last day (`YYYY-MM-DD`, UTC), included; blank for no end.
    pub to: String,
    /// Events per page; the server's default when `None`.
    pub limit: Option<u32>,
}

/// A day's first moment (UTC), RFC 3339; `None` when the text is not a date.
fn start_of(day: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

/// The first moment after the day (the API's `to` is exclusive).
fn end_of(day: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    Some(
        date.checked_add_days(Days::new(1))?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
    )
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl AuditFilter {
    /// True when the filter has a user principal name the API cannot take as is.
    pub fn user_is_upn(&self) -> bool {
        self.user.contains('@')
    }

    /// The same filter, with the user given by object id.
    pub fn with_user_id(&self, id: String) -> AuditFilter {
        AuditFilter {
            user: id,
            ..self.clone()
        }
    }

    /// Whether anything narrows the list (the page size aside).
    pub fn is_filtered(&self) -> bool {
        *self
            != AuditFilter {
                limit: self.limit,
                ..AuditFilter::default()
            }
    }

    fn query(&self) -> String {
        query_string(&[
            ("actor", non_blank(&self.actor)),
            ("user", non_blank(&self.user)),
            ("number", non_blank(&self.number)),
            ("type", non_blank(&self.kind)),
            ("from", start_of(&self.from).map(rfc3339)),
            ("to", end_of(&self.to).map(rfc3339)),
            ("limit", self.limit.map(|l| l.to_string())),
        ])
    }
}

/// GET /audit-events: the first page of events that match, newest first.
pub async fn list_audit_events(
    token: &str,
    filter: &AuditFilter,
) -> Result<Page<AuditEvent>, ApiError> {
    let path = format!("/audit-events{}", filter.query());
    request::<(), _>(Method::GET, &path, Some(token), None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_a_utc_range_that_includes_the_last_day() {
        let filter = AuditFilter {
            actor: "system".into(),
            kind: "phone_service.enabled".into(),
            number: "+14255550100".into(),
            from: "2026-11-01".into(),
            to: "2026-11-30".into(),
            ..AuditFilter::default()
        };
        assert_eq!(
            filter.query(),
            "?actor=system&number=%2B14255550100&type=phone_service.enabled\
             &from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z"
        );
    }

    #[test]
    fn a_blank_filter_asks_for_everything() {
        assert_eq!(AuditFilter::default().query(), "");
        assert!(!AuditFilter::default().is_filtered());
        let half_typed = AuditFilter {
            from: "2026-1".into(),
            ..AuditFilter::default()
        };
        assert_eq!(half_typed.query(), "");
    }
}
