//! Fault injection: added latency, an error status (with `Retry-After`), or no answer at all, for
//! the next N matching calls or a fraction of them, per endpoint and optionally per tenant.

use std::time::Duration;

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::Simulator;

/// A "hanging" call sleeps this long: far beyond any client timeout.
const HANG: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// The token endpoint.
    Token,
    /// Any Graph call.
    Graph,
    /// The users endpoints (`/users`, `/users/delta`, `/users/{id}`).
    Users,
    /// Teams telephony and userConfigurations.
    Teams,
    /// Teams policies: getPolicyId, userAssignments/assign and /unassign.
    Policies,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    pub endpoint: Endpoint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hang: bool,
    /// Calls left; None = until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Probability per matching call; None = every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
}

impl Fault {
    /// Why this fault cannot be installed, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.latency_ms.is_none() && self.status.is_none() && !self.hang {
            return Some("a fault needs latency_ms, status or hang".into());
        }
        if let Some(s) = self.status {
            if !(400..=599).contains(&s) {
                return Some(format!("status {s} is not an error status (400-599)"));
            }
        }
        if self.retry_after.is_some() && self.status.is_none() {
            return Some("retry_after needs a status".into());
        }
        if self.count == Some(0) {
            return Some("count must be at least 1".into());
        }
        if let Some(f) = self.fraction {
            if !(0.0..=1.0).contains(&f) {
                return Some("fraction must be between 0.0 and 1.0".into());
            }
        }
        None
    }
}

pub struct Faults {
    list: Vec<Fault>,
    rng: StdRng,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            list: Vec::new(),
            rng: StdRng::seed_from_u64(0x5eed),
        }
    }
}

impl Faults {
    pub fn list(&self) -> &[Fault] {
        &self.list
    }

    /// PUT semantics: the given faults become the active set.
    pub fn replace(&mut self, faults: Vec<Fault>) {
        self.list = faults;
    }

    pub fn clear(&mut self) {
        self.list.clear();
    }

    /// The first fault that fires for this call, counting it down.
    fn take(&mut self, kinds: &[Endpoint], tenant: Option<&str>) -> Option<Fault> {
        for i in 0..self.list.len() {
            let f = &self.list[i];
            if !kinds.contains(&f.endpoint) {
                continue;
            }
            if let Some(t) = &f.tenant {
                if !tenant.is_some_and(|x| x.eq_ignore_ascii_case(t)) {
                    continue;
                }
            }
            if let Some(p) = f.fraction {
                if !self.rng.random_bool(p) {
                    continue;
                }
            }
            let hit = f.clone();
            if let Some(left) = self.list[i].count.as_mut() {
                *left -= 1;
                if *left == 0 {
                    self.list.remove(i);
                }
            }
            return Some(hit);
        }
        None
    }
}

/// An error status to answer instead of the normal response.
pub struct Injected {
    pub status: u16,
    pub retry_after: Option<u64>,
}

/// Applies the fault (if any) for this call: sleeps for latency or a hang, then returns the status
/// to answer with, if the fault has one.
pub async fn intercept(
    sim: &Simulator,
    kinds: &[Endpoint],
    tenant: Option<&str>,
) -> Option<Injected> {
    let hit = sim.faults().take(kinds, tenant)?;
    tracing::info!(endpoint = ?hit.endpoint, tenant = ?tenant, "fault injected");
    if hit.hang {
        tokio::time::sleep(HANG).await;
    }
    if let Some(ms) = hit.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    hit.status.map(|status| Injected {
        status,
        retry_after: hit.retry_after,
    })
}
