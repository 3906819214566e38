//! The delivery history (admins): each event sent, or to be sent, to each endpoint, newest
//! first, with every attempt; and re-sending one.

use chrono::NaiveDateTime;
use shared::{
    paging::Page,
    webhooks::{DeliveryStatus, WebhookDelivery, WebhookEventType},
};
use uuid::Uuid;

use super::view::to_delivery;
use crate::{
    db::{self, webhooks::DeliveryFilter, DbConn},
    domain::{
        paging::{self, ListAddress, PageRequest},
        principal::Principal,
        stored,
    },
    error::ApiError,
};

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";
/// Message ids are `msg_` and 32 hex digits; anything much longer is no id of ours.
const ID_MAX_CHARS: usize = 64;

/// `GET /webhook-deliveries` query parameters.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only this endpoint's deliveries.
    pub endpoint: Option<Uuid>,
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<WebhookEventType>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn not_found() -> ApiError {
    ApiError::not_found("webhook delivery")
}

pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    query: &DeliveryQuery,
    address: &ListAddress,
) -> Result<Page<WebhookDelivery>, ApiError> {
    caller.require_admin()?;
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let after = match (request.after_part(0), request.after_part(1)) {
        (Some(at), Some(id)) => Some((
            NaiveDateTime::parse_from_str(at, TIME_FORMAT).map_err(|_| {
                ApiError::OutOfBounds("cursor is not one this list gave out.".into())
            })?,
            id,
        )),
        _ => None,
    };
    let filter = DeliveryFilter {
        endpoint_id: query.endpoint.map(|e| e.to_string()),
        status: query.status,
        event_type: query.event_type,
    };
    let rows =
        db::webhooks::page_deliveries(conn, &caller.account_id, &filter, after, request.fetch())?;
    let page = paging::page(rows, &request, address, |d| {
        vec![d.created_at.format(TIME_FORMAT).to_string(), d.id.clone()]
    });
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|row| to_delivery(row, Vec::new()))
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

/// The delivery with every attempt, oldest first.
pub fn get(conn: &mut DbConn, caller: &Principal, id: &str) -> Result<WebhookDelivery, ApiError> {
    caller.require_admin()?;
    if id.len() > ID_MAX_CHARS {
        return Err(not_found());
    }
    let row = db::webhooks::find_delivery(conn, &caller.account_id, id)?.ok_or_else(not_found)?;
    let history = db::webhooks::attempts_of(conn, &caller.account_id, id)?;
    to_delivery(row, history)
}

/// Sends a delivered or failed delivery again, as soon as a worker is free: the same message
/// (`webhook-id` and body), newly signed, with a fresh round of retries. Its history stays.
pub fn resend(
    conn: &mut DbConn,
    caller: &Principal,
    id: &str,
) -> Result<WebhookDelivery, ApiError> {
    caller.require_admin()?;
    if id.len() > ID_MAX_CHARS {
        return Err(not_found());
    }
    db::transaction(conn, |conn| {
        let row =
            db::webhooks::find_delivery(conn, &caller.account_id, id)?.ok_or_else(not_found)?;
        if row.status == db::webhooks::status_text(DeliveryStatus::Pending) {
            return Err(ApiError::conflict(
                shared::problem::ConflictCode::DeliveryPending,
                "This delivery is already waiting to be sent.",
            ));
        }
        let endpoint = db::webhooks::find_endpoint(conn, &caller.account_id, &row.endpoint_id)?
            .ok_or_else(not_found)?;
        if !endpoint.enabled {
            return Err(ApiError::conflict(
                shared::problem::ConflictCode::EndpointDisabled,
                "The delivery's endpoint is disabled; enable it first.",
            ));
        }
        db::webhooks::resend(conn, &caller.account_id, id, stored::now())?;
        Ok(())
    })?;
    get(conn, caller, id)
}
