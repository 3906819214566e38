//! Logs: human-readable by default, JSON lines with `LOG_FORMAT=json`. Each request's lines
//! carry its request id (from the root span of `tracing-actix-web`). `RUST_LOG` filters.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second initialisation (tests start many servers) keeps the first one.
    let _ = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .with_target(false)
                    .with_span_events(fmt::format::FmtSpan::CLOSE),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true),
            )
            .try_init(),
    };
}
