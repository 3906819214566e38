//! The audit log: the account's ledger, newest first, narrowed by actor, user, number, type and
//! time. Every role reads it (viewers read everything); nothing changes it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use shared::{
    audit::{Actor, ActorKind, AuditEvent, EVENT_TYPES},
    paging::Page,
};

use super::{
    bounds,
    ledger::ActorKey,
    numbers::E164,
    paging::{self, ListAddress, PageRequest},
    principal::Principal,
    stored,
};
use crate::{
    db::{
        self,
        ledger::{AuditFilter, LedgerEvent},
        DbConn,
    },
    error::ApiError,
};

/// `GET /audit-events` query parameters.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `user:<id>`, `token:<id>` or `system`.
    pub actor: Option<String>,
    /// A Microsoft user (Entra object id).
    pub user: Option<String>,
    /// A phone number, in any form the inventory accepts.
    pub number: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    query: &AuditQuery,
    address: &ListAddress,
) -> Result<Page<AuditEvent>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let filter = filter(query)?;
    let after = match (request.after_part(0), request.after_part(1)) {
        (Some(at), Some(id)) => Some((
            NaiveDateTime::parse_from_str(at, TIME_FORMAT).map_err(|_| {
                ApiError::OutOfBounds("cursor is not one this list gave out.".into())
            })?,
            id,
        )),
        _ => None,
    };
    let rows = db::ledger::page(conn, &caller.account_id, &filter, after, request.fetch())?;
    let page = paging::page(rows, &request, address, |e| {
        vec![e.occurred_at.format(TIME_FORMAT).to_string(), e.id.clone()]
    });
    let ids: BTreeSet<&str> = page
        .items
        .iter()
        .filter_map(|e| e.user_id.as_deref())
        .collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let names: HashMap<String, String> = db::directory::by_ids(conn, &caller.account_id, &ids)?
        .into_iter()
        .map(|u| (u.id, u.user_principal_name))
        .collect();
    let items = page
        .items
        .into_iter()
        .map(|row| {
            let upn = row.user_id.as_ref().and_then(|id| names.get(id).cloned());
            to_event(row).map(|event| AuditEvent {
                user_principal_name: upn,
                ..event
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Page {
        items,
        next: page.next,
    })
}

fn filter(query: &AuditQuery) -> Result<AuditFilter, ApiError> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let actor = given(&query.actor)
        .map(|a| match a.parse::<ActorKey>() {
            // Ids are kept in lower case: `user:0B8C...` means the same actor as `user:0b8c...`.
            Ok(key @ (ActorKey::User(_) | ActorKey::Token(_) | ActorKey::System)) => {
                Ok(key.to_string())
            }
            // No rule acts yet, and the documented filter does not name them.
            Ok(ActorKey::Rule(_)) | Err(_) => Err(ApiError::InvalidInput(
                "actor is `user:<id>`, `token:<id>` or `system`.".into(),
            )),
        })
        .transpose()?;
    let user_id = given(&query.user)
        .map(|u| bounds::line("user", &u, 256).map(|()| u))
        .transpose()?;
    let number = given(&query.number)
        .map(|n| {
            bounds::line("number", &n, 64)?;
            E164::parse(&n)
                .map(|e| e.to_string())
                .map_err(|why| ApiError::InvalidInput(why.0))
        })
        .transpose()?;
    let kind = given(&query.kind)
        .map(|k| {
            if EVENT_TYPES.contains(&k.as_str()) {
                Ok(k)
            } else {
                Err(ApiError::InvalidInput(format!(
                    "type must be one of: {}.",
                    EVENT_TYPES.join(", ")
                )))
            }
        })
        .transpose()?;
    let (from, to) = (
        query.from.map(|t| t.naive_utc()),
        query.to.map(|t| t.naive_utc()),
    );
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(ApiError::InvalidInput("from must not be after to.".into()));
        }
    }
    Ok(AuditFilter {
        actor,
        user_id,
        number,
        kind,
        from,
        to,
    })
}

pub fn to_event(row: LedgerEvent) -> Result<AuditEvent, ApiError> {
    let key: ActorKey = row
        .actor
        .parse()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored actor: {e}")))?;
    let (kind, id) = match key {
        ActorKey::User(id) => (ActorKind::User, Some(id.uuid())),
        ActorKey::Token(id) => (ActorKind::ApiToken, Some(id)),
        // The audit log shows a rule as the portal acting, by the name it recorded.
        ActorKey::System | ActorKey::Rule(_) => (ActorKind::System, None),
    };
    Ok(AuditEvent {
        id: stored::uuid(&row.id)?,
        occurred_at: stored::time(row.occurred_at),
        kind: row.kind,
        actor: Actor {
            kind,
            id,
            name: row.actor_name,
        },
        user_id: row.user_id,
        user_principal_name: None,
        number: row.number,
        operation_id: row.operation_id,
        summary: row.summary,
        detail: row.detail,
    })
}
