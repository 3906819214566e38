//! The call loop every request goes through: a timeout per attempt, one deadline per call,
//! `Retry-After` on 429/503, exponential backoff with full jitter on 5xx and connection
//! errors, no retry on other 4xx. Also the per-call tracing span and metrics.

use std::{error::Error as _, future::Future, time::Duration};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::time::Instant;
use tracing::Instrument;

use super::{
    config::CallPolicy,
    error::{refusal, snippet, MsError, Service},
    metrics::Metrics,
};

/// `MsError::Unavailable::detail` when attempts ran out on per-attempt timeouts.
const TIMED_OUT: &str = "no answer within the request timeout";

/// A finished HTTP exchange with a 2xx status, body read.
pub(crate) struct Reply {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// What one failed attempt means for the loop.
enum Failure {
    /// Never retried (4xx, or a request we cannot even build).
    Fatal(MsError),
    /// Retried while attempts and the deadline allow.
    Retry {
        error: MsError,
        retry_after: Option<Duration>,
        timed_out: bool,
    },
}

pub(crate) struct Caller {
    pub(crate) http: reqwest::Client,
    pub(crate) policy: CallPolicy,
    metrics: Option<Metrics>,
}

impl Caller {
    pub(crate) fn new(policy: CallPolicy, metrics: Option<Metrics>) -> Result<Caller, MsError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("tenant-connect/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry our bearer token elsewhere; Microsoft never redirects these.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(policy.request_timeout)
            .build()
            .map_err(|e| MsError::Config(format!("building the HTTP client: {e}")))?;
        Ok(Caller {
            http,
            policy,
            metrics,
        })
    }

    /// The deadline of a call starting now.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.policy.deadline
    }

    /// Runs one call under `deadline`, inside a span (tenant, endpoint), and records its
    /// outcome and duration.
    pub(crate) async fn run<T>(
        &self,
        endpoint: &'static str,
        tenant: &str,
        deadline: Instant,
        call: impl Future<Output = Result<T, MsError>>,
    ) -> Result<T, MsError> {
        let started = std::time::Instant::now();
        let span = tracing::info_span!("microsoft_call", tenant = %tenant, endpoint);
        let result = tokio::time::timeout_at(deadline, call)
            .instrument(span.clone())
            .await
            .unwrap_or(Err(MsError::DeadlineExceeded));
        let elapsed = started.elapsed();
        let outcome = outcome(&result);
        span.in_scope(|| match &result {
            Ok(_) => tracing::debug!(outcome, elapsed_ms = elapsed.as_millis(), "call done"),
            Err(e) => tracing::warn!(
                outcome,
                elapsed_ms = elapsed.as_millis(),
                error = %e,
                "call failed"
            ),
        });
        if let Some(metrics) = &self.metrics {
            metrics.count(endpoint, outcome);
            metrics.observe(endpoint, elapsed);
        }
        result
    }

    /// Counts an attempt that is repeated outside the loop (a replaced stale token).
    pub(crate) fn count_retry(&self, endpoint: &str) {
        if let Some(metrics) = &self.metrics {
            metrics.count(endpoint, "retry");
        }
    }

    /// Sends the request `build` makes until it succeeds (2xx), fails for good, attempts run
    /// out or waiting would pass `deadline`. `build` is called once per attempt.
    pub(crate) async fn send<B>(
        &self,
        endpoint: &'static str,
        service: Service,
        deadline: Instant,
        build: B,
    ) -> Result<Reply, MsError>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(MsError::DeadlineExceeded);
            }
            let cut_by_deadline = remaining <= self.policy.request_timeout;
            let request = build(&self.http).timeout(self.policy.request_timeout.min(remaining));
            let failure = match exchange(request).await {
                Ok((status, reply)) if (200..300).contains(&status) => {
                    tracing::debug!(attempt, status, "answered");
                    return Ok(reply);
                }
                Ok((status, reply)) => {
                    tracing::debug!(attempt, status, "refused");
                    classify(service, status, &reply)
                }
                Err(e) => transport(&e),
            };
            let (error, retry_after, timed_out) = match failure {
                Failure::Fatal(error) => return Err(error),
                Failure::Retry {
                    timed_out: true, ..
                } if cut_by_deadline => return Err(MsError::DeadlineExceeded),
                Failure::Retry {
                    error,
                    retry_after,
                    timed_out,
                } => (error, retry_after, timed_out),
            };
            if attempt >= self.policy.max_attempts.max(1) {
                return Err(error);
            }
            let wait = retry_after.unwrap_or_else(|| self.backoff(attempt));
            if Instant::now() + wait >= deadline {
                // Waiting cannot help: say why now rather than at the deadline.
                return Err(if timed_out && retry_after.is_none() {
                    MsError::DeadlineExceeded
                } else {
                    error
                });
            }
            tracing::info!(attempt, wait_ms = wait.as_millis(), error = %error, "retrying");
            self.count_retry(endpoint);
            tokio::time::sleep(wait).await;
        }
    }

    /// Full jitter: uniform in `[0, min(max, base * 2^(attempt-1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let bound = self
            .policy
            .backoff_base
            .saturating_mul(factor)
            .min(self.policy.backoff_max);
        let nanos = u64::try_from(bound.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

async fn exchange(request: reqwest::RequestBuilder) -> Result<(u16, Reply), reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok((status, Reply { headers, body }))
}

fn classify(service: Service, status: u16, reply: &Reply) -> Failure {
    let retry_after = retry_after(&reply.headers);
    match status {
        429 => Failure::Retry {
            error: MsError::Throttled { retry_after },
            retry_after,
            timed_out: false,
        },
        503 if retry_after.is_some() => Failure::Retry {
            error: MsError::Throttled { retry_after },
            retry_after,
            timed_out: false,
        },
        500..=599 => Failure::Retry {
            error: MsError::Unavailable {
                status: Some(status),
                detail: match refusal(service, status, &reply.body) {
                    MsError::Malformed(_) => snippet(&reply.body),
                    typed => typed.to_string(),
                },
            },
            retry_after: None,
            timed_out: false,
        },
        _ => Failure::Fatal(refusal(service, status, &reply.body)),
    }
}

fn transport(e: &reqwest::Error) -> Failure {
    if e.is_builder() {
        return Failure::Fatal(MsError::Config(chain(e)));
    }
    let timed_out = e.is_timeout();
    Failure::Retry {
        error: MsError::Unavailable {
            status: None,
            detail: if timed_out {
                TIMED_OUT.to_owned()
            } else {
                chain(e)
            },
        },
        retry_after: None,
        timed_out,
    }
}

/// An error and its causes on one line ("error sending request: connection refused").
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `Retry-After` as delay-seconds (fractions tolerated) or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delay = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delay.to_std().unwrap_or(Duration::ZERO))
}

/// The `outcome` label of a finished call.
fn outcome<T>(result: &Result<T, MsError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(MsError::Throttled { .. }) => "throttled",
        Err(MsError::Identity { status, .. } | MsError::Graph { status, .. }) if *status >= 500 => {
            "server_error"
        }
        Err(
            MsError::Identity { .. }
            | MsError::Graph { .. }
            | MsError::Config(_)
            | MsError::IdToken(_),
        ) => "client_error",
        Err(MsError::Unavailable {
            status: None,
            detail,
        }) if detail == TIMED_OUT => "timeout",
        Err(MsError::Unavailable { .. } | MsError::Malformed(_)) => "server_error",
        Err(MsError::DeadlineExceeded) => "deadline",
    }
}
