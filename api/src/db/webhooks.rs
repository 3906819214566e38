//! Webhook endpoints, the delivery outbox and its attempts.
//!
//! The outbox is worked like the job queue (`db::jobs`): a claim takes one due delivery with
//! a lease in one statement (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so processes never wait on
//! each other; SQLite: a conditional update under the write lock). Every claim adds one to
//! `attempts` and sets its own `lease_until`, and `(id, attempts, lease_until)` names that
//! claim: the outcome is recorded only while the claim still holds the delivery, so a process
//! that stalled past its lease (another process has tried since) changes nothing but the
//! history. A process that dies mid-attempt leaves the delivery `pending`; once the lease
//! runs out another process claims it again: at least once, never lost.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use shared::webhooks::{DeliveryStatus, WebhookEventType};

use super::{
    ledger::LedgerEvent,
    schema::{webhook_attempts, webhook_deliveries, webhook_endpoints},
    DbConn,
};
use crate::domain::ids::AccountId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: String,
    pub account_id: AccountId,
    pub url: String,
    pub description: String,
    /// Space-separated event types.
    pub event_types: String,
    /// The signing secret, sealed (see `domain::webhooks::sealing`).
    pub secret_sealed: String,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    pub fn subscribes_to(&self, kind: WebhookEventType) -> bool {
        self.event_types.split(' ').any(|t| t == kind.as_str())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    /// The Standard Webhooks message id (`msg_...`).
    pub id: String,
    pub account_id: AccountId,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub account_id: AccountId,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

pub fn endpoints_of(conn: &mut DbConn, account: &AccountId) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::account_id.eq(account))
        .order((
            webhook_endpoints::created_at.asc(),
            webhook_endpoints::id.asc(),
        ))
        .select(EndpointRow::as_select())
        .load(conn)
}

/// Queues `event` for each enabled endpoint of its account subscribed to `kind`.
pub fn enqueue(
    conn: &mut DbConn,
    event: &LedgerEvent,
    kind: WebhookEventType,
    payload: &str,
) -> QueryResult<usize> {
    let rows: Vec<DeliveryRow> = endpoints_of(conn, &event.account_id)?
        .into_iter()
        .filter(|e| e.enabled && e.subscribes_to(kind))
        .map(|e| DeliveryRow {
            id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            account_id: event.account_id.clone(),
            endpoint_id: e.id,
            event_id: event.id.clone(),
            event_type: kind.as_str().to_owned(),
            payload: payload.to_owned(),
            status: "pending".to_owned(),
            attempts: 0,
            next_attempt_at: Some(event.occurred_at),
            lease_until: None,
            last_attempt_at: None,
            last_status_code: None,
            last_error: None,
            created_at: event.occurred_at,
            delivered_at: None,
        })
        .collect();
    // Row by row: an account has few endpoints, and SQLite's diesel backend cannot batch rows
    // with nullable columns.
    for row in &rows {
        diesel::insert_into(webhook_deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(rows.len())
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const FAILED: &str = "failed";
/// The history's entry for an attempt whose process stopped before recording its outcome.
const ABANDONED: &str =
    "No outcome was recorded: the server process making this attempt stopped; tried again.";

/// A status as stored.
pub fn status_text(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => PENDING,
        DeliveryStatus::Delivered => DELIVERED,
        DeliveryStatus::Failed => FAILED,
    }
}

pub fn insert_endpoint(conn: &mut DbConn, row: &EndpointRow) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The account's endpoint; another account's is `None`, as an unknown id is.
pub fn find_endpoint(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::id.eq(id))
        .filter(webhook_endpoints::account_id.eq(account))
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

/// Writes every field of the account's endpoint but its id; false when there is none.
pub fn update_endpoint(conn: &mut DbConn, row: &EndpointRow) -> QueryResult<bool> {
    diesel::update(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(&row.id))
            .filter(webhook_endpoints::account_id.eq(&row.account_id)),
    )
    .set(row)
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes the account's endpoint with its deliveries and their attempts (the foreign keys
/// cascade); false when there is none.
pub fn delete_endpoint(conn: &mut DbConn, account: &AccountId, id: &str) -> QueryResult<bool> {
    diesel::delete(
        webhook_endpoints::table
            .filter(webhook_endpoints::id.eq(id))
            .filter(webhook_endpoints::account_id.eq(account)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// What a list of deliveries is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub endpoint_id: Option<String>,
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<WebhookEventType>,
}

/// A page of the account's deliveries, newest first, after the cursor `(created_at, id)`.
pub fn page_deliveries(
    conn: &mut DbConn,
    account: &AccountId,
    filter: &DeliveryFilter,
    after: Option<(NaiveDateTime, &str)>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::account_id.eq(account))
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(limit)
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(endpoint) = &filter.endpoint_id {
        query = query.filter(webhook_deliveries::endpoint_id.eq(endpoint));
    }
    if let Some(status) = filter.status {
        query = query.filter(webhook_deliveries::status.eq(status_text(status)));
    }
    if let Some(kind) = filter.event_type {
        query = query.filter(webhook_deliveries::event_type.eq(kind.as_str()));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            webhook_deliveries::created_at
                .lt(at)
                .or(webhook_deliveries::created_at
                    .eq(at)
                    .and(webhook_deliveries::id.lt(id))),
        );
    }
    query.load(conn)
}

/// The account's delivery; another account's is `None`, as an unknown id is.
pub fn find_delivery(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::id.eq(id))
        .filter(webhook_deliveries::account_id.eq(account))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Every attempt at the account's delivery, oldest first.
pub fn attempts_of(
    conn: &mut DbConn,
    account: &AccountId,
    delivery_id: &str,
) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq(delivery_id))
        .filter(webhook_attempts::account_id.eq(account))
        .order((
            webhook_attempts::attempted_at.asc(),
            webhook_attempts::id.asc(),
        ))
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Puts the account's finished (delivered or failed) delivery back in the outbox, due at
/// `now`, with a fresh round of attempts; its history stays. False when there is no such
/// finished delivery.
pub fn resend(
    conn: &mut DbConn,
    account: &AccountId,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(id))
            .filter(webhook_deliveries::account_id.eq(account))
            .filter(webhook_deliveries::status.eq_any([DELIVERED, FAILED])),
    )
    .set((
        webhook_deliveries::status.eq(PENDING),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::next_attempt_at.eq(Some(now)),
        webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        webhook_deliveries::delivered_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// One claim of a delivery: the attempt it started and the lease it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    pub id: String,
    pub attempt: i32,
    pub lease_until: NaiveDateTime,
}

/// A claimed delivery, with its endpoint as it is now.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub claim: DeliveryClaim,
    pub delivery: DeliveryRow,
    pub endpoint: EndpointRow,
}

/// Deliveries that may be claimed at `now`: pending and due, and not held by a live lease.
#[diesel::dsl::auto_type]
fn claimable(now: NaiveDateTime) -> _ {
    let pending: &'static str = PENDING;
    webhook_deliveries::status
        .eq(pending)
        .and(webhook_deliveries::next_attempt_at.le(now))
        .and(
            webhook_deliveries::lease_until
                .is_null()
                .or(webhook_deliveries::lease_until.lt(now)),
        )
}

/// Claims the next due delivery until `lease_until`, or `None` when nothing is due.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    let take = || {
        (
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::lease_until.eq(Some(lease_until)),
        )
    };
    let taken: Option<(String, bool)> = match conn {
        DbConn::Postgres(pg) => pg.transaction(|pg| {
            // Locked first (skipping rows other processes hold), then taken by id.
            let Some((id, lease)) = webhook_deliveries::table
                .select((webhook_deliveries::id, webhook_deliveries::lease_until))
                .filter(claimable(now))
                .order((
                    webhook_deliveries::next_attempt_at.asc(),
                    webhook_deliveries::id.asc(),
                ))
                .limit(1)
                .for_update()
                .skip_locked()
                .first::<(String, Option<NaiveDateTime>)>(pg)
                .optional()?
            else {
                return Ok::<_, diesel::result::Error>(None);
            };
            diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq(&id)))
                .set(take())
                .execute(pg)?;
            Ok(Some((id, lease.is_some())))
        })?,
        DbConn::Sqlite(lite) => {
            // Another process may take the candidate between the read and the update; the
            // update's condition then fails and the next candidate is tried.
            let mut taken = None;
            for _ in 0..3 {
                let Some((id, lease)) = webhook_deliveries::table
                    .select((webhook_deliveries::id, webhook_deliveries::lease_until))
                    .filter(claimable(now))
                    .order((
                        webhook_deliveries::next_attempt_at.asc(),
                        webhook_deliveries::id.asc(),
                    ))
                    .first::<(String, Option<NaiveDateTime>)>(lite)
                    .optional()?
                else {
                    break;
                };
                let updated = diesel::update(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::id.eq(&id))
                        .filter(claimable(now)),
                )
                .set(take())
                .execute(lite)?;
                if updated == 1 {
                    taken = Some((id, lease.is_some()));
                    break;
                }
            }
            taken
        }
    };
    let Some((id, abandoned)) = taken else {
        return Ok(None);
    };
    let found = webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_deliveries::id.eq(&id))
        .select((DeliveryRow::as_select(), EndpointRow::as_select()))
        .first::<(DeliveryRow, EndpointRow)>(conn)
        .optional()?;
    if let (true, Some((delivery, _))) = (abandoned, &found) {
        // The previous claim's lease ran out: its process stopped (or stalled) mid-attempt.
        diesel::insert_into(webhook_attempts::table)
            .values(&AttemptRow {
                id: uuid::Uuid::new_v4().to_string(),
                delivery_id: delivery.id.clone(),
                account_id: delivery.account_id.clone(),
                attempted_at: now,
                status_code: None,
                error: Some(ABANDONED.to_owned()),
                duration_ms: 0,
            })
            .execute(conn)?;
    }
    Ok(found.map(|(delivery, endpoint)| Claimed {
        claim: DeliveryClaim {
            id: delivery.id.clone(),
            attempt: delivery.attempts,
            lease_until,
        },
        delivery,
        endpoint,
    }))
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempted_at: NaiveDateTime,
    /// Whether the attempt goes into the history (a disabled endpoint sends nothing).
    pub in_history: bool,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// `Delivered`; `Pending` with the next try's time; or `Failed`.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<NaiveDateTime>,
}

/// Records the outcome while `claim` still holds the delivery, and the attempt in the
/// history; false when the claim had been lost (only the history changes then). In one
/// transaction, whose first statement writes (on SQLite it then waits for the write lock
/// instead of failing on a stale snapshot).
pub fn record(conn: &mut DbConn, claim: &DeliveryClaim, outcome: &Outcome) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let delivered = outcome.status == DeliveryStatus::Delivered;
        let updated = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(&claim.id))
                .filter(webhook_deliveries::status.eq(PENDING))
                .filter(webhook_deliveries::attempts.eq(claim.attempt))
                .filter(webhook_deliveries::lease_until.eq(claim.lease_until)),
        )
        .set((
            webhook_deliveries::status.eq(status_text(outcome.status)),
            webhook_deliveries::next_attempt_at.eq(outcome.next_attempt_at),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::last_attempt_at.eq(Some(outcome.attempted_at)),
            webhook_deliveries::last_status_code.eq(outcome.status_code),
            webhook_deliveries::last_error.eq(&outcome.error),
            webhook_deliveries::delivered_at.eq(delivered.then_some(outcome.attempted_at)),
        ))
        .execute(conn)?;
        if outcome.in_history {
            // Its endpoint may have been deleted meanwhile, and the delivery with it.
            let account = webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(&claim.id))
                .select(webhook_deliveries::account_id)
                .first::<AccountId>(conn)
                .optional()?;
            if let Some(account_id) = account {
                diesel::insert_into(webhook_attempts::table)
                    .values(&AttemptRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        delivery_id: claim.id.clone(),
                        account_id,
                        attempted_at: outcome.attempted_at,
                        status_code: outcome.status_code,
                        error: outcome.error.clone(),
                        duration_ms: outcome.duration_ms,
                    })
                    .execute(conn)?;
            }
        }
        Ok(updated == 1)
    })
}

/// Gives up claims a stopping process still holds: due again at once, for another process.
pub fn release(conn: &mut DbConn, claim: &DeliveryClaim, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq(&claim.id))
            .filter(webhook_deliveries::status.eq(PENDING))
            .filter(webhook_deliveries::attempts.eq(claim.attempt))
            .filter(webhook_deliveries::lease_until.eq(claim.lease_until)),
    )
    .set((
        webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
        webhook_deliveries::next_attempt_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}
