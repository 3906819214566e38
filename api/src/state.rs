use std::sync::Arc;

use crate::{
    config::Config,
    db::Db,
    domain::{
        hashing::Hashing, session::SessionKeys, tenant_connection::TenantConnections,
        webhooks::Webhooks,
    },
};

/// What every handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub sessions: SessionKeys,
    /// Where password hashes run, a few at a time.
    pub hashing: Hashing,
    pub config: Arc<Config>,
    pub connections: TenantConnections,
    /// The key sealing webhook endpoint secrets, and where deliveries may go.
    pub webhooks: Webhooks,
}
