//! Webhooks for integrators: endpoints an admin registers, and signed deliveries of the
//! account's events to them.
//!
//! - `endpoints`: registering, changing, deleting an endpoint, rotating its secret (admins)
//! - `deliveries`: the delivery history, and re-sending one (admins)
//! - `url_policy`: where deliveries may go (https; in live mode public addresses only)
//! - `sealing`: the endpoint secrets, shown once and kept only sealed
//! - `signing`: the Standard Webhooks signature of a delivery
//! - `retry`: when a failed delivery is tried again
//! - `view`: rows as the API shows them
//!
//! The outbox itself is written by `domain::ledger::record` in the transaction of the event,
//! and worked by `jobs::webhook_delivery`.

pub mod deliveries;
pub mod endpoints;
pub mod retry;
pub mod sealing;
pub mod signing;
pub mod url_policy;
pub mod view;

use std::sync::Arc;

use self::{sealing::SealingKey, url_policy::UrlPolicy};

/// What webhook handling needs from the server: the key sealing endpoint secrets and the
/// URL policy of the mode it runs in. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Webhooks {
    key: Arc<SealingKey>,
    policy: UrlPolicy,
}

impl Webhooks {
    /// `server_secret` is the session secret (`JWT_SECRET`): the sealing key derives from it.
    pub fn new(server_secret: &[u8], policy: UrlPolicy) -> Webhooks {
        Webhooks {
            key: Arc::new(SealingKey::derive(server_secret)),
            policy,
        }
    }

    pub fn key(&self) -> &SealingKey {
        &self.key
    }

    pub fn policy(&self) -> UrlPolicy {
        self.policy
    }
}
