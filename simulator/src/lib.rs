//! A faithful simulator of the Microsoft identity platform (login.microsoftonline.com) and the
//! Microsoft Graph subset Tenant Connect calls: same paths, query parameters, status codes, JSON
//! bodies, headers and AADSTS / Graph error codes (see ../shared/microsoft/CONTRACT.md beside the repository).
//!
//! Mounted under `/_microsoft/login` (identity platform), `/_microsoft/graph` (Graph),
//! `/_microsoft/control` (test and demo control API) and `/_microsoft/entra` (the demo "Entra
//! admin" page).

mod config;
mod control;
mod entra;
mod faults;
mod graph;
mod http;
mod identity;
mod keys;
mod policies;
mod seed;
mod state;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    time::{Duration, Instant},
};

use actix_web::web;

pub use config::{RegisteredApp, SimulatorConfig, TenantSeed, DEFAULT_PERMISSIONS};
pub use identity::session::{COOKIE as SIGN_IN_COOKIE, COOKIE_PATH as SIGN_IN_COOKIE_PATH};
pub use state::{
    GLOBAL_ADMINISTRATOR, PERSONAL_ACCOUNTS_TENANT_ID, PERSONAL_USER_UPN,
    PRIVILEGED_ROLE_ADMINISTRATOR, TEAMS_COMMUNICATIONS_ADMINISTRATOR, TEAMS_PHONE_SKU,
};

/// The simulator: cheap to clone, all clones share one world.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    app: RegisteredApp,
    key: keys::SigningKey,
    operation_delay: Duration,
    token_lifetime: Duration,
    /// Whether numberAssignments lists emit `@odata.nextLink` (off by default: TELEPHONY.md
    /// section 3).
    number_next_links: AtomicBool,
    /// Milliseconds after a policy assign/unassign before `effectivePolicyAssignments` shows it
    /// (Teams applies policies with a delay).
    policy_delay_ms: AtomicU64,
    state: RwLock<state::State>,
    faults: Mutex<faults::Faults>,
    /// Authorization codes and sign-in sessions (never held together with `state`).
    sessions: Mutex<identity::session::Sessions>,
}

impl Simulator {
    pub fn new(config: SimulatorConfig) -> anyhow::Result<Simulator> {
        let key = keys::SigningKey::generate()?;
        let mut world = state::State::default();
        for seed in &config.tenants {
            if world.tenant(&seed.domain).is_some() {
                anyhow::bail!("two seed tenants share the domain {}", seed.domain);
            }
            world.tenants.push(seed::build_tenant(seed));
        }
        // The personal Microsoft accounts "tenant", always present, after the seeded ones.
        let personal = seed::build_personal_tenant();
        if world.tenant(&personal.domain).is_some() {
            anyhow::bail!(
                "a seed tenant uses the domain {}, reserved for personal Microsoft accounts",
                personal.domain
            );
        }
        world.tenants.push(personal);
        Ok(Simulator {
            inner: Arc::new(Inner {
                app: config.app,
                key,
                operation_delay: config.operation_delay,
                token_lifetime: config.token_lifetime,
                number_next_links: AtomicBool::new(false),
                policy_delay_ms: AtomicU64::new(0),
                state: RwLock::new(world),
                faults: Mutex::new(faults::Faults::default()),
                sessions: Mutex::new(identity::session::Sessions::default()),
            }),
        })
    }

    /// Mounts everything under /_microsoft/login, /_microsoft/graph, /_microsoft/control and
    /// /_microsoft/entra.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let data = web::Data::new(self.clone());
        cfg.service(
            web::scope("/_microsoft/login")
                .app_data(data.clone())
                .configure(identity::routes),
        )
        .service(
            web::scope("/_microsoft/graph")
                .app_data(data.clone())
                .wrap(actix_web::middleware::from_fn(graph::request_ids))
                .configure(graph::routes),
        )
        .service(
            web::scope("/_microsoft/control")
                .app_data(data.clone())
                .configure(control::routes),
        )
        .service(
            web::scope("/_microsoft/entra")
                .app_data(data)
                .configure(entra::routes),
        );
    }

    fn read(&self) -> RwLockReadGuard<'_, state::State> {
        self.inner.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access, with due number operations completed first.
    fn write(&self) -> RwLockWriteGuard<'_, state::State> {
        self.inner.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Completes due number operations of a tenant (operations are settled lazily).
    fn settle(&self, tenant_id: &str) {
        let now = Instant::now();
        let due = self.read().tenant(tenant_id).is_some_and(|t| {
            t.pending.first().is_some_and(|id| {
                t.operations
                    .get(id)
                    .is_some_and(|op| now.duration_since(op.started) >= self.inner.operation_delay)
            })
        });
        if due {
            if let Some(t) = self.write().tenant_mut(tenant_id) {
                t.settle(now, self.inner.operation_delay);
            }
        }
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.inner.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sessions(&self) -> MutexGuard<'_, identity::session::Sessions> {
        self.inner
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

impl Simulator {
    /// Whether numberAssignments lists emit `@odata.nextLink` when more numbers follow. Off by
    /// default: the Teams back end is reported never to return one, and clients page with
    /// `$skip` (TELEPHONY.md section 3). Also `PUT /_microsoft/control/settings`.
    pub fn set_number_next_links(&self, on: bool) {
        self.inner.number_next_links.store(on, Ordering::Relaxed);
    }

    fn number_next_links(&self) -> bool {
        self.inner.number_next_links.load(Ordering::Relaxed)
    }

    /// How long after a policy assign or unassign Graph's `effectivePolicyAssignments` shows
    /// the change (0 by default: at once). Also `PUT /_microsoft/control/settings`
    /// `{"policy_delay_ms": n}`.
    pub fn set_policy_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.inner.policy_delay_ms.store(ms, Ordering::Relaxed);
    }

    fn policy_delay(&self) -> Duration {
        Duration::from_millis(self.inner.policy_delay_ms.load(Ordering::Relaxed))
    }

    /// (id, name, domain) of each organization tenant, for start-up banners (the personal
    /// accounts tenant is not listed).
    pub fn tenant_summaries(&self) -> Vec<(String, String, String)> {
        self.read()
            .tenants
            .iter()
            .filter(|t| !t.personal)
            .map(|t| (t.id.clone(), t.name.clone(), t.domain.clone()))
            .collect()
    }
}
