//! The ledger: one append-only record of who did what, written in the same transaction as the
//! change it records. Billing, the audit log and the connection history read it; events of a
//! webhook type also go into the webhook outbox in that same transaction, so an event that
//! committed is delivered at least once, whatever happens after.

mod actor;
mod kind;

use chrono::SecondsFormat;
use serde_json::json;
use uuid::Uuid;

pub use self::{
    actor::{Actor, ActorKey},
    kind::LedgerKind,
};
use super::{ids::AccountId, principal::Principal, stored};
use crate::{
    db::{
        self,
        ledger::{self as rows, LedgerEvent},
        DbConn,
    },
    error::ApiError,
};

/// An event to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub account: &'a AccountId,
    pub kind: LedgerKind,
    pub actor: &'a Actor,
    pub summary: String,
    pub user_id: Option<&'a str>,
    pub number: Option<&'a str>,
    pub operation_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(
        account: &'a AccountId,
        kind: LedgerKind,
        actor: &'a Actor,
        summary: String,
    ) -> Self {
        Entry {
            account,
            kind,
            actor,
            summary,
            user_id: None,
            number: None,
            operation_id: None,
            detail: None,
        }
    }
}

/// Appends the event, and queues it for every endpoint subscribed to its type. Call inside the
/// transaction that makes the change.
pub fn record(conn: &mut DbConn, entry: Entry<'_>) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let mut occurred_at = stored::now();
    if let Some(user) = entry.user_id {
        // A user's changes are made one at a time (their row is locked), but possibly by
        // processes whose clocks differ: an event is never dated before the user's previous
        // one, so billing replays them in the order they happened.
        if let Some(last) = rows::latest_of_user(conn, entry.account, user)? {
            occurred_at = occurred_at.max(last + chrono::Duration::microseconds(1));
        }
    }
    let event = LedgerEvent {
        id: id.to_string(),
        account_id: entry.account.clone(),
        occurred_at,
        kind: entry.kind.as_str().to_owned(),
        actor: entry.actor.key.to_string(),
        actor_name: entry.actor.name.clone(),
        user_id: entry.user_id.map(str::to_owned),
        number: entry.number.map(str::to_owned),
        operation_id: entry.operation_id.map(str::to_owned),
        detail: entry.detail.map(str::to_owned),
        summary: entry.summary,
    };
    rows::append(conn, &event)?;
    if let Some(kind) = entry.kind.webhook() {
        let payload = webhook_payload(&event).to_string();
        db::webhooks::enqueue(conn, &event, kind, &payload)?;
    }
    Ok(id)
}

/// Records what `caller` did, as them.
pub fn record_by(
    conn: &mut DbConn,
    caller: &Principal,
    kind: LedgerKind,
    summary: String,
) -> Result<Uuid, ApiError> {
    let actor = Actor::of(caller);
    record(conn, Entry::new(&caller.account_id, kind, &actor, summary))
}

/// The body of a delivery, in the Standard Webhooks shape: `type`, `timestamp`, `data`.
fn webhook_payload(event: &LedgerEvent) -> serde_json::Value {
    let at = stored::time(event.occurred_at).to_rfc3339_opts(SecondsFormat::Micros, true);
    json!({
        "type": event.kind,
        "timestamp": at,
        "data": {
            "event_id": event.id,
            "account_id": event.account_id.as_str(),
            "occurred_at": at,
            "actor": { "key": event.actor, "name": event.actor_name },
            "user_id": event.user_id,
            "number": event.number,
            "operation_id": event.operation_id,
            "summary": event.summary,
            "detail": event.detail,
        }
    })
}
