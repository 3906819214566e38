//! `microsoft_calls_total{endpoint,outcome}` and `microsoft_call_duration_seconds{endpoint}`.
//!
//! Every HTTP attempt that is retried counts once as `retry`; every call ends with exactly one
//! other outcome: `ok`, `throttled`, `client_error` (a 4xx refusal), `server_error` (5xx,
//! connection errors or an answer we cannot read), `timeout` (per-attempt timeouts until
//! attempts ran out) or `deadline` (the overall deadline passed).

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

use super::error::MsError;

#[derive(Clone)]
pub(crate) struct Metrics {
    calls: IntCounterVec,
    duration: HistogramVec,
}

impl Metrics {
    pub(crate) fn register(registry: &Registry) -> Result<Metrics, MsError> {
        let calls = IntCounterVec::new(
            Opts::new(
                "microsoft_calls_total",
                "Calls to Microsoft (identity platform and Graph) by endpoint and outcome",
            ),
            &["endpoint", "outcome"],
        )
        .map_err(config)?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "microsoft_call_duration_seconds",
                "Duration of calls to Microsoft, retries and waits included",
            )
            .buckets(vec![
                0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
            ]),
            &["endpoint"],
        )
        .map_err(config)?;
        registry.register(Box::new(calls.clone())).map_err(config)?;
        registry
            .register(Box::new(duration.clone()))
            .map_err(config)?;
        Ok(Metrics { calls, duration })
    }

    pub(crate) fn count(&self, endpoint: &str, outcome: &str) {
        self.calls.with_label_values(&[endpoint, outcome]).inc();
    }

    pub(crate) fn observe(&self, endpoint: &str, elapsed: Duration) {
        self.duration
            .with_label_values(&[endpoint])
            .observe(elapsed.as_secs_f64());
    }
}

fn config(e: prometheus::Error) -> MsError {
    MsError::Config(format!("registering the Microsoft client metrics: {e}"))
}
