//! Registering, changing and deleting webhook endpoints, and rotating their secrets: admins of
//! the account only (an admin's API token may too). Every change is in the ledger, without
//! the secret and without the URL's query string.

use shared::{
    paging::Page,
    webhooks::{
        CreateWebhookEndpoint, CreatedWebhookEndpoint, UpdateWebhookEndpoint, WebhookEndpoint,
        WebhookEventType,
    },
};
use uuid::Uuid;

use super::{sealing::SigningSecret, url_policy::EndpointUrl, view::to_endpoint, Webhooks};
use crate::{
    db::{self, webhooks::EndpointRow, Db, DbConn},
    domain::{
        bounds,
        ledger::{self, ActorKey, LedgerKind},
        paging::{self, ListAddress, Order, PageQuery, PageRequest},
        principal::Principal,
        stored,
    },
    error::ApiError,
};

/// The longest description.
pub const DESCRIPTION_MAX_CHARS: usize = 200;
/// Endpoints an account may have: each event is sent to every subscribed one.
pub const MAX_ENDPOINTS: usize = 50;

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

/// The event types an endpoint subscribes to: at least one, each once, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriptions(Vec<WebhookEventType>);

impl Subscriptions {
    pub fn parse(types: &[WebhookEventType]) -> Result<Subscriptions, ApiError> {
        let chosen: Vec<WebhookEventType> = WebhookEventType::ALL
            .into_iter()
            .filter(|t| types.contains(t))
            .collect();
        if chosen.is_empty() {
            return Err(ApiError::InvalidInput(format!(
                "event_types must name at least one of: {}.",
                WebhookEventType::ALL.map(|t| t.as_str()).join(", ")
            )));
        }
        Ok(Subscriptions(chosen))
    }

    /// As stored: space-separated.
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn shown(&self) -> String {
        self.0
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn description(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    bounds::line("description", text, DESCRIPTION_MAX_CHARS)?;
    Ok(text.to_owned())
}

/// A URL the policy accepts, resolved (live mode) to public addresses only.
async fn checked_url(webhooks: &Webhooks, raw: &str) -> Result<EndpointUrl, ApiError> {
    let url = EndpointUrl::parse(raw, webhooks.policy())?;
    url.resolve(webhooks.policy()).await?;
    Ok(url)
}

fn not_found() -> ApiError {
    ApiError::not_found("webhook endpoint")
}

/// Registers an endpoint; the answer carries its signing secret, shown this once.
pub async fn create(
    db: &Db,
    webhooks: &Webhooks,
    caller: Principal,
    request: CreateWebhookEndpoint,
) -> Result<CreatedWebhookEndpoint, ApiError> {
    caller.require_admin()?;
    let description = description(&request.description)?;
    let subscriptions = Subscriptions::parse(&request.event_types)?;
    let url = checked_url(webhooks, &request.url).await?;
    let secret = SigningSecret::generate();
    let id = Uuid::new_v4().to_string();
    let now = stored::now();
    let row = EndpointRow {
        secret_sealed: webhooks.key().seal(&id, &secret),
        id,
        account_id: caller.account_id.clone(),
        url: url.as_str().to_owned(),
        description,
        event_types: subscriptions.stored(),
        enabled: true,
        created_by: ActorKey::of(&caller).to_string(),
        created_at: now,
        updated_at: now,
    };
    let row = db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                db::lock_account(conn, caller.account_id.as_str())?;
                if db::webhooks::endpoints_of(conn, &caller.account_id)?.len() >= MAX_ENDPOINTS {
                    return Err(ApiError::conflict(
                        shared::problem::ConflictCode::TooManyEndpoints,
                        format!(
                            "An account can have at most {MAX_ENDPOINTS} webhook endpoints; \
                             delete one first."
                        ),
                    ));
                }
                db::webhooks::insert_endpoint(conn, &row)?;
                let summary = format!(
                    "Added the webhook endpoint {} for {}.",
                    url.shown(),
                    subscriptions.shown()
                );
                ledger::record_by(conn, &caller, LedgerKind::WebhooksEndpointCreated, summary)?;
                Ok(row)
            })
        })
        .await?;
    Ok(CreatedWebhookEndpoint {
        endpoint: to_endpoint(row)?,
        secret: secret.expose().to_owned(),
    })
}

/// The account's endpoints, oldest first.
pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    query: &PageQuery,
    address: &ListAddress,
) -> Result<Page<WebhookEndpoint>, ApiError> {
    caller.require_admin()?;
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let rows = db::webhooks::endpoints_of(conn, &caller.account_id)?;
    let page = paging::page_in_memory(rows, &request, address, Order::Ascending, |r| {
        vec![r.created_at.format(TIME_FORMAT).to_string(), r.id.clone()]
    });
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_endpoint)
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

pub fn get(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<WebhookEndpoint, ApiError> {
    caller.require_admin()?;
    let row = db::webhooks::find_endpoint(conn, &caller.account_id, &id.to_string())?
        .ok_or_else(not_found)?;
    to_endpoint(row)
}

/// Changes what the request names; the rest stays. A new URL is checked as at registration.
pub async fn update(
    db: &Db,
    webhooks: &Webhooks,
    caller: Principal,
    id: Uuid,
    request: UpdateWebhookEndpoint,
) -> Result<WebhookEndpoint, ApiError> {
    caller.require_admin()?;
    let description = request
        .description
        .as_deref()
        .map(description)
        .transpose()?;
    let subscriptions = request
        .event_types
        .as_deref()
        .map(Subscriptions::parse)
        .transpose()?;
    // Another account's endpoint must answer 404 before its URL is looked at.
    let id = id.to_string();
    let (account, lookup) = (caller.account_id.clone(), id.clone());
    db.run(move |conn| db::webhooks::find_endpoint(conn, &account, &lookup)?.ok_or_else(not_found))
        .await?;
    let url = match request.url.as_deref() {
        Some(raw) => Some(checked_url(webhooks, raw).await?),
        None => None,
    };
    let row = db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                let mut row = db::webhooks::find_endpoint(conn, &caller.account_id, &id)?
                    .ok_or_else(not_found)?;
                let mut changes = Vec::new();
                if let Some(url) = url.filter(|u| u.as_str() != row.url) {
                    changes.push(format!("the URL to {}", url.shown()));
                    row.url = url.as_str().to_owned();
                }
                if let Some(subscriptions) = subscriptions.filter(|s| s.stored() != row.event_types)
                {
                    changes.push(format!("the events to {}", subscriptions.shown()));
                    row.event_types = subscriptions.stored();
                }
                if let Some(description) = description.filter(|d| *d != row.description) {
                    changes.push("the description".to_owned());
                    row.description = description;
                }
                if let Some(enabled) = request.enabled.filter(|e| *e != row.enabled) {
                    changes.push(if enabled { "enabled it" } else { "disabled it" }.to_owned());
                    row.enabled = enabled;
                }
                if changes.is_empty() {
                    return Ok(row);
                }
                row.updated_at = stored::now();
                db::webhooks::update_endpoint(conn, &row)?;
                let summary = format!(
                    "Changed the webhook endpoint {}: {}.",
                    shown_url(&row.url),
                    changes.join(", ")
                );
                ledger::record_by(conn, &caller, LedgerKind::WebhooksEndpointUpdated, summary)?;
                Ok(row)
            })
        })
        .await?;
    to_endpoint(row)
}

/// Deletes the endpoint, with its deliveries and their history.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<(), ApiError> {
    caller.require_admin()?;
    db::transaction(conn, |conn| {
        let id = id.to_string();
        let row =
            db::webhooks::find_endpoint(conn, &caller.account_id, &id)?.ok_or_else(not_found)?;
        db::webhooks::delete_endpoint(conn, &caller.account_id, &id)?;
        let summary = format!("Deleted the webhook endpoint {}.", shown_url(&row.url));
        ledger::record_by(conn, caller, LedgerKind::WebhooksEndpointDeleted, summary)?;
        Ok(())
    })
}

/// Gives the endpoint a new signing secret, shown this once; the old one stops working at
/// once (deliveries from now on are signed with the new one).
pub fn rotate_secret(
    conn: &mut DbConn,
    webhooks: &Webhooks,
    caller: &Principal,
    id: Uuid,
) -> Result<CreatedWebhookEndpoint, ApiError> {
    caller.require_admin()?;
    let secret = SigningSecret::generate();
    let row = db::transaction(conn, |conn| {
        let mut row = db::webhooks::find_endpoint(conn, &caller.account_id, &id.to_string())?
            .ok_or_else(not_found)?;
        row.secret_sealed = webhooks.key().seal(&row.id, &secret);
        row.updated_at = stored::now();
        db::webhooks::update_endpoint(conn, &row)?;
        let summary = format!(
            "Rotated the signing secret of the webhook endpoint {}.",
            shown_url(&row.url)
        );
        ledger::record_by(conn, caller, LedgerKind::WebhooksEndpointUpdated, summary)?;
        Ok(row)
    })?;
    Ok(CreatedWebhookEndpoint {
        endpoint: to_endpoint(row)?,
        secret: secret.expose().to_owned(),
    })
}

/// A stored URL as the ledger shows it (see `url_policy::shown`).
fn shown_url(stored: &str) -> String {
    match url::Url::parse(stored) {
        Ok(url) => super::url_policy::shown(&url),
        Err(_) => "(an unreadable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use WebhookEventType::*;

    #[test]
    fn subscriptions_are_at_least_one_each_once_in_order() {
        let s =
            Subscriptions::parse(&[BulkJobFinished, PhoneServiceEnabled, BulkJobFinished]).unwrap();
        assert_eq!(s.stored(), "phone_service.enabled bulk_job.finished");
        assert_eq!(
            Subscriptions::parse(&[]).err().map(|e| e.code()),
            Some("invalid_input")
        );
    }

    #[test]
    fn descriptions_are_bounded_single_lines() {
        assert_eq!(description("  CRM sync ").unwrap(), "CRM sync");
        assert!(description(&"x".repeat(DESCRIPTION_MAX_CHARS)).is_ok());
        for bad in [
            "x".repeat(DESCRIPTION_MAX_CHARS + 1),
            "two\nlines".to_owned(),
        ] {
            assert_eq!(
                description(&bad).err().map(|e| e.code()),
                Some("out_of_bounds")
            );
        }
    }

    #[test]
    fn the_ledger_shows_neither_path_nor_query() {
        assert_eq!(
            shown_url("https://hooks.example.com/in/T123?token=s3cret"),
            "https://hooks.example.com/…"
        );
    }
}
