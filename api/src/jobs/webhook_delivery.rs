//! Delivering webhooks: one dispatcher per process works the outbox (`webhook_deliveries`),
//! a few deliveries at once (`WEBHOOK_WORKERS`).
//!
//! Each attempt claims one due delivery with a lease (see `db::webhooks`), signs its body by
//! the Standard Webhooks specification with the endpoint's secret, and POSTs it with a
//! timeout, following no redirect and using no proxy. A 2xx answer delivers it; anything else
//! (another status, a redirect, no answer, a refused connection) is a failed attempt, retried
//! after the next delay of the schedule (`WEBHOOK_RETRY_SCHEDULE`); when the schedule is used
//! up the delivery is `failed`, and an admin can re-send it. Every attempt is in the
//! delivery's history. The `webhook-id` is the delivery's id, the same on every attempt, so
//! receivers can drop a repeat: delivery is at least once (a process that dies mid-attempt
//! leaves its claim to run out, and another process tries again).
//!
//! In live mode the URL is checked again before every attempt, and the connection may only go
//! to the public addresses its host name resolves to at that moment (DNS rebinding).
//!
//! Nothing secret is logged: neither the signing secret, nor the signature, nor the URL
//! (which may carry a token of the receiver's); log lines name the delivery and endpoint ids.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use shared::webhooks::DeliveryStatus;

use super::leased::{self, chrono_duration, Leased, LoopHandle, LoopSettings};
use crate::{
    db::{
        self,
        webhooks::{Claimed, DeliveryClaim, Outcome},
        Db,
    },
    domain::{
        stored,
        webhooks::{
            retry::RetrySchedule,
            signing::{self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP},
            url_policy::{EndpointUrl, NotPublic, PublicResolver, UrlPolicy},
            Webhooks,
        },
    },
    error::ApiError,
};

const USER_AGENT: &str = concat!("TenantConnect-Webhooks/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone)]
pub struct DispatcherSettings {
    /// Names this process in log lines.
    pub process_id: String,
    /// Deliveries attempted at once.
    pub workers: usize,
    /// How long the dispatcher waits before looking again when nothing is due.
    pub poll_interval: Duration,
    /// How long one attempt may take, connecting included.
    pub timeout: Duration,
    /// How long a claim holds a delivery: longer than an attempt can take.
    pub lease: Duration,
    pub schedule: RetrySchedule,
}

impl DispatcherSettings {
    pub fn new(workers: usize, timeout: Duration) -> DispatcherSettings {
        DispatcherSettings {
            process_id: super::runner::process_id(),
            workers,
            poll_interval: Duration::from_secs(1),
            timeout,
            lease: timeout + Duration::from_secs(30),
            schedule: RetrySchedule::default(),
        }
    }
}

/// Claims and delivers webhooks. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    webhooks: Webhooks,
    client: reqwest::Client,
    settings: Arc<DispatcherSettings>,
}

/// A started dispatcher.
pub type DispatcherHandle = LoopHandle<Dispatcher>;

impl Dispatcher {
    pub fn new(
        db: Db,
        webhooks: Webhooks,
        settings: DispatcherSettings,
    ) -> anyhow::Result<Dispatcher> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(USER_AGENT);
        if webhooks.policy() == UrlPolicy::Live {
            builder = builder.https_only(true).dns_resolver(PublicResolver);
        }
        let client = builder
            .build()
            .context("building the webhook HTTP client")?;
        Ok(Dispatcher {
            db,
            webhooks,
            client,
            settings: Arc::new(settings),
        })
    }

    /// Claims the next due delivery, if any, and attempts it here; its id.
    pub async fn deliver_next(&self) -> Result<Option<String>, ApiError> {
        let Some(claimed) = self.claim(false).await? else {
            return Ok(None);
        };
        let id = claimed.claim.id.clone();
        self.work(claimed).await;
        Ok(Some(id))
    }

    /// Starts polling in the background; [`DispatcherHandle::stop`] stops it.
    pub fn start(self) -> DispatcherHandle {
        let settings = LoopSettings {
            process_id: Arc::from(self.settings.process_id.as_str()),
            workers: self.settings.workers,
            poll_interval: self.settings.poll_interval,
        };
        leased::start(self, settings)
    }

    /// One attempt, start to end: what happened, and what happens next.
    async fn attempt(&self, claimed: &Claimed) -> Outcome {
        let Claimed {
            claim,
            delivery,
            endpoint,
        } = claimed;
        let attempted_at = stored::now();
        let finished = |status_code: Option<i32>, error: Option<String>, took: Duration| {
            let status = match (&error, self.settings.schedule.after(claim.attempt)) {
                (None, _) => DeliveryStatus::Delivered,
                (Some(_), Some(_)) => DeliveryStatus::Pending,
                (Some(_), None) => DeliveryStatus::Failed,
            };
            let next_attempt_at = match status {
                DeliveryStatus::Pending => self
                    .settings
                    .schedule
                    .after(claim.attempt)
                    .map(|delay| stored::now() + chrono_duration(delay)),
                _ => None,
            };
            Outcome {
                attempted_at,
                in_history: true,
                status_code,
                error,
                duration_ms: i32::try_from(took.as_millis()).unwrap_or(i32::MAX),
                status,
                next_attempt_at,
            }
        };
        // Nothing is sent for these: no retry would fare better.
        let give_up = |error: String| Outcome {
            status: DeliveryStatus::Failed,
            next_attempt_at: None,
            ..finished(None, Some(error), Duration::ZERO)
        };
        if !endpoint.enabled {
            // In the history too, so the admin sees why the count of attempts went up.
            return Outcome {
                in_history: true,
                ..give_up(
                    "The endpoint is disabled; enable it, then re-send this delivery.".to_owned(),
                )
            };
        }
        let secret = match self
            .webhooks
            .key()
            .unseal(&endpoint.id, &endpoint.secret_sealed)
        {
            Ok(secret) => secret,
            Err(unreadable) => {
                tracing::error!(endpoint = %endpoint.id, "a webhook endpoint's secret cannot be unsealed");
                return give_up(unreadable.to_string());
            }
        };
        let url = match EndpointUrl::parse(&endpoint.url, self.webhooks.policy()) {
            Ok(url) => url,
            Err(refused) => {
                return give_up(format!(
                    "The endpoint's URL is no longer allowed: {refused} Change it, then re-send."
                ))
            }
        };
        let timestamp = chrono::Utc::now().timestamp();
        let Ok(signed) = signing::sign(&secret, &delivery.id, timestamp, &delivery.payload) else {
            return give_up(
                "The endpoint's signing secret is not usable; rotate it, then re-send.".to_owned(),
            );
        };
        let started = Instant::now();
        let sent = self
            .client
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_ID, &signed.id)
            .header(HEADER_TIMESTAMP, signed.timestamp.to_string())
            .header(HEADER_SIGNATURE, &signed.signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        let took = started.elapsed();
        match sent {
            Ok(answer) => {
                let status = answer.status();
                let code = Some(i32::from(status.as_u16()));
                // The answer's body is not read: nothing in it matters.
                drop(answer);
                if status.is_success() {
                    finished(code, None, took)
                } else if status.is_redirection() {
                    let error = format!(
                        "The endpoint answered {} (a redirect); deliveries do not follow redirects.",
                        status.as_u16()
                    );
                    finished(code, Some(error), took)
                } else {
                    let error = format!("The endpoint answered {status}.");
                    finished(code, Some(error), took)
                }
            }
            Err(e) => finished(None, Some(self.describe(&e)), took),
        }
    }

    /// Why a request got no answer, for the admin reading the history.
    fn describe(&self, e: &reqwest::Error) -> String {
        describe(e, self.settings.timeout)
    }
}

impl Leased for Dispatcher {
    type Work = Claimed;
    type Claim = DeliveryClaim;
    type Chores = ();
    const NAME: &'static str = "webhook dispatcher";

    fn claim_of(claimed: &Claimed) -> (String, DeliveryClaim) {
        (claimed.claim.id.clone(), claimed.claim.clone())
    }

    async fn claim(&self, _last_free_worker: bool) -> Result<Option<Claimed>, ApiError> {
        let lease = chrono_duration(self.settings.lease);
        self.db
            .run(move |conn| {
                let now = stored::now();
                Ok(db::webhooks::claim(conn, now, now + lease)?)
            })
            .await
    }

    /// Attempts one delivery and records the outcome.
    async fn work(&self, claimed: Claimed) {
        let claim = claimed.claim.clone();
        let outcome = self.attempt(&claimed).await;
        match outcome.status {
            DeliveryStatus::Delivered => tracing::info!(
                delivery = %claim.id,
                endpoint = %claimed.endpoint.id,
                attempt = claim.attempt,
                status = outcome.status_code,
                "webhook delivered"
            ),
            status => tracing::warn!(
                delivery = %claim.id,
                endpoint = %claimed.endpoint.id,
                attempt = claim.attempt,
                status = outcome.status_code,
                error = outcome.error.as_deref().unwrap_or_default(),
                retry = status == DeliveryStatus::Pending,
                "webhook attempt failed"
            ),
        }
        let recorded = {
            let claim = claim.clone();
            self.db
                .run(move |conn| Ok(db::webhooks::record(conn, &claim, &outcome)?))
                .await
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery = %claim.id,
                "the delivery's claim was lost before its outcome was recorded"
            ),
            // The lease runs out and the delivery is tried again.
            Err(e) => {
                tracing::error!(error = %e, delivery = %claim.id, "could not record a webhook attempt")
            }
        }
    }

    /// Gives back deliveries whose attempt stopped unfinished: due again at once.
    async fn release(&self, claims: Vec<DeliveryClaim>) -> Result<usize, ApiError> {
        self.db
            .run(move |conn| {
                let now = stored::now();
                let mut released = 0;
                for claim in &claims {
                    if db::webhooks::release(conn, claim, now)? {
                        released += 1;
                    }
                }
                Ok(released)
            })
            .await
    }
}

/// Why a request got no answer, for the admin reading the history: never where a host name
/// points when the policy refused it (see `NotPublic`).
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!(
            "The endpoint did not answer within {} s.",
            timeout.as_secs_f32()
        );
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        if inner.downcast_ref::<NotPublic>().is_some() {
            return format!(
                "Could not deliver: {NotPublic}; deliveries go to public addresses only."
            );
        }
        cause = inner;
    }
    if e.is_connect() {
        format!("Could not connect to the endpoint: {cause}.")
    } else {
        format!("The request failed: {cause}.")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Issue 22, item 12: the delivery history does not say what a refused name resolves to.
    #[tokio::test]
    async fn a_refused_address_is_described_without_the_address() {
        // `localhost` resolves (hosts file) to loopback only, which the resolver refuses.
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(PublicResolver)
            .build()
            .unwrap();
        let refused = client
            .post("http://localhost:9/hook")
            .send()
            .await
            .unwrap_err();
        let said = describe(&refused, Duration::from_secs(5));
        assert_eq!(
            said,
            "Could not deliver: the address is not allowed (it resolves to a private or \
             reserved network); deliveries go to public addresses only."
        );
        assert!(
            !said.contains("127.0.0.1") && !said.contains("::1"),
            "{said}"
        );
    }
}
