//! Tenant Connect: the four-step setup, verification, and the connection's health.
//!
//! - `state`: the state machine, one pure `transition` function
//! - `consent`: step 2 (sign in to Microsoft, then admin consent for the proven tenant)
//! - `verification`: step 4 and what each check proves
//! - `health`: the scheduled re-verification and housekeeping
//! - `view`: the connection as the page shows it
//! - `checks`, `steps`, `permissions`: pure rules; `copy`: every sentence shown

pub mod checks;
mod consent;
pub mod copy;
mod health;
pub mod permissions;
pub mod state;
pub mod steps;
mod verification;
mod view;

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use shared::tenant_connection::{ConnectionState, Notice, NoticeKind, TenantConnection};

pub use self::consent::{Landing, StartedSetup, CALLBACK_REJECTED};
use self::{
    checks::Requirements,
    state::{transition, Event},
};
use super::{
    ids::{AccountId, TenantId},
    ledger::{self, Actor, Entry, LedgerKind},
    principal::Principal,
    stored,
};
use crate::{
    db::{
        self,
        tenant_connections::{ConnectionRow, StoredState},
        Db, DbConn,
    },
    error::ApiError,
    microsoft::client::MicrosoftClient,
};

/// What the connection rules are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub requirements: Requirements,
    pub client_id: String,
    /// The registered redirect URI of the sign-in: PUBLIC_URL/api/v1/tenant-connection/sign-in-callback.
    pub sign_in_redirect_uri: String,
    /// The registered redirect URI of admin consent: PUBLIC_URL/api/v1/tenant-connection/consent-callback.
    pub consent_redirect_uri: String,
    /// Where admins assign the role; `{tenant}` is replaced by the tenant id (or `organizations`).
    pub role_assignment_url: String,
    pub consent_ttl: chrono::Duration,
    pub verify_deadline: Duration,
    pub health_interval: chrono::Duration,
    /// How many sign-in attempts (step 2) a person may start for their account, and how many
    /// manual verifications an account may start, within a window.
    pub action_limit: ActionLimit,
}

/// At most `count` actions of one kind (per person, or per account) within `window`.
#[derive(Debug, Clone, Copy)]
pub struct ActionLimit {
    pub count: usize,
    pub window: chrono::Duration,
}

#[derive(Clone)]
pub struct TenantConnections {
    db: Db,
    client: MicrosoftClient,
    settings: Arc<Settings>,
}

const PORTAL_ACTOR: &str = "Tenant Connect";

/// The ledger types of connection events start so; the history shows exactly these.
pub const CONNECTION_EVENTS: &str = "tenant_connection.";

impl TenantConnections {
    pub fn new(db: Db, client: MicrosoftClient, settings: Settings) -> TenantConnections {
        TenantConnections {
            db,
            client,
            settings: Arc::new(settings),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The Microsoft client, for the work done with a connected tenant.
    pub fn client(&self) -> &MicrosoftClient {
        &self.client
    }

    /// Admins only: the portal stops using the tenant; the history stays.
    pub async fn disconnect(&self, caller: &Principal) -> Result<TenantConnection, ApiError> {
        caller.require_admin()?;
        let (account, actor) = (caller.account_id.clone(), Actor::of(caller));
        let settings = self.settings.clone();
        self.db
            .run(move |conn| {
                db::transaction(conn, |conn| {
                    db::lock_account(conn, account.as_str())?;
                    let previous = load(conn, &account)?;
                    if transition(previous.state.0, Event::Disconnected).is_err() {
                        return Err(ApiError::conflict(
                            shared::problem::ConflictCode::NotConnected,
                            "Your tenant is not connected.",
                        ));
                    }
                    let row = ConnectionRow::new(&account, stored::now());
                    db::tenant_connections::save(conn, &row)?;
                    let name = previous
                        .tenant_name
                        .or(previous.tenant_id.map(|t| t.to_string()))
                        .unwrap_or_default();
                    event(
                        conn,
                        &account,
                        &actor,
                        LedgerKind::TenantConnectionDisconnected,
                        &format!("Disconnected tenant {name}."),
                    )?;
                    view::render(conn, &row, &settings)
                })
            })
            .await
    }
}

/// Records a connection made the old way, through a user account (demo seed, command line).
pub fn mark_legacy(
    conn: &mut DbConn,
    account_id: &AccountId,
    tenant_id: &TenantId,
    tenant_name: Option<&str>,
    service_account: &str,
) -> Result<(), ApiError> {
    let mut row = load(conn, account_id)?;
    if move_to(&mut row, Event::LegacyRecorded).is_err() {
        return Ok(());
    }
    row.tenant_id = Some(tenant_id.clone());
    row.tenant_name = tenant_name.map(str::to_owned);
    row.legacy_service_account = Some(service_account.to_owned());
    row.updated_at = stored::now();
    db::tenant_connections::save(conn, &row)?;
    event(
        conn,
        account_id,
        &Actor::system(PORTAL_ACTOR),
        LedgerKind::TenantConnectionLegacy,
        &format!("Connected the old way, through the user account {service_account}."),
    )
}

/// Applies an event to the row's state through the state machine.
fn move_to(row: &mut ConnectionRow, event: Event) -> Result<ConnectionState, ApiError> {
    let next = transition(row.state.0, event).map_err(|refused| {
        ApiError::internal(anyhow::anyhow!(
            "connection state machine refused {:?} in {:?}",
            refused.event,
            refused.state
        ))
    })?;
    row.state = StoredState(next);
    Ok(next)
}

fn load(conn: &mut DbConn, account: &AccountId) -> Result<ConnectionRow, ApiError> {
    Ok(db::tenant_connections::find(conn, account)?
        .unwrap_or_else(|| ConnectionRow::new(account, stored::now())))
}

/// Records a connection change (a `tenant_connection.` kind) in the ledger.
fn event(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &Actor,
    kind: LedgerKind,
    message: &str,
) -> Result<(), ApiError> {
    debug_assert!(kind.as_str().starts_with(CONNECTION_EVENTS), "{kind:?}");
    ledger::record(conn, Entry::new(account, kind, actor, message.to_owned()))?;
    Ok(())
}

/// Records a connection event unless it would repeat the account's last one word for word, by
/// the same actor: a verification that finds what the last one found changes nothing, and
/// recording it again would let anyone who may verify fill the ledger.
fn event_unless_repeated(
    conn: &mut DbConn,
    account: &AccountId,
    actor: &Actor,
    kind: LedgerKind,
    message: &str,
) -> Result<(), ApiError> {
    let last = db::ledger::latest_with_prefix(conn, account, CONNECTION_EVENTS, 1)?;
    let repeated = last.first().is_some_and(|e| {
        e.kind == kind.as_str() && e.summary == message && e.actor == actor.key.to_string()
    });
    if repeated {
        return Ok(());
    }
    event(conn, account, actor, kind, message)
}

fn notice(kind: NoticeKind, title: &str, message: &str, code: Option<u32>) -> Option<String> {
    serde_json::to_string(&Notice {
        kind,
        title: title.to_owned(),
        message: message.to_owned(),
        code: code.map(|c| format!("AADSTS{c}")),
        at: Utc::now(),
    })
    .ok()
}
