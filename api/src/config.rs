//! Every setting of the server: a command-line flag and an environment variable each (12-factor).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Teams Communications Administrator, the directory role template id the app needs.
pub const TEAMS_COMMUNICATIONS_ADMINISTRATOR: &str = "baf37b3a-610e-45da-9e62-d9d1e5e8914b";

/// The client id of the app the built-in simulator registers, when MS_CLIENT_ID is unset.
pub const SIMULATED_CLIENT_ID: &str = "7b1d3f0e-5c2a-4e8b-9a61-2f4c8d9e0a13";

/// Where Microsoft is: the real one, or the simulator built into this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MicrosoftMode {
    Simulated,
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,

    /// The externally visible base URL (used for redirect URIs). Default: http://BIND_ADDR.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Directory for the embedded database and the generated JWT secret.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// `sqlite://PATH` or `postgres://...`. Default: sqlite://DATA_DIR/tenant-connect.db.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Largest number of pooled database connections per process.
    #[arg(long, env = "DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: u32,

    /// Secret signing the portal's session tokens. Generated and kept in DATA_DIR when unset.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    /// How long a portal session token lives, in minutes.
    #[arg(long, env = "JWT_TTL_MINUTES", default_value_t = 60)]
    pub jwt_ttl_minutes: u64,

    /// `simulated` (the built-in simulator of Entra ID and Graph) or `live` (Microsoft).
    #[arg(long, env = "MICROSOFT_MODE", value_enum, default_value_t = MicrosoftMode::Simulated)]
    pub microsoft_mode: MicrosoftMode,

    /// The multi-tenant Entra ID app's client (application) id.
    #[arg(long, env = "MS_CLIENT_ID")]
    pub ms_client_id: Option<String>,

    /// The app's client secret.
    #[arg(long, env = "MS_CLIENT_SECRET", hide_env_values = true)]
    pub ms_client_secret: Option<SecretString>,

    /// Identity platform base URL. Default: PUBLIC_URL/_microsoft/login when simulated,
    /// https://login.microsoftonline.com when live.
    #[arg(long, env = "MS_LOGIN_URL")]
    pub ms_login_url: Option<String>,

    /// Microsoft Graph base URL. Default: PUBLIC_URL/_microsoft/graph when simulated,
    /// https://graph.microsoft.com when live.
    #[arg(long, env = "MS_GRAPH_URL")]
    pub ms_graph_url: Option<String>,

    /// The app's display name, as customers search for it in Entra ID (setup step 3).
    #[arg(long, env = "MS_APP_DISPLAY_NAME", default_value = "Tenant Connect")]
    pub ms_app_display_name: String,

    /// Application permissions the connection must have (comma-separated): the product
    /// description's two, plus what Graph requires for users, numbers, phone state and voice
    /// policies.
    #[arg(
        long,
        env = "MS_REQUIRED_PERMISSIONS",
        value_delimiter = ',',
        default_value = "CrossTenantInformation.ReadBasic.All,TeamSettings.ReadWrite.All,User.Read.All,TeamsTelephoneNumber.ReadWrite.All,TeamsUserConfiguration.Read.All,TeamsPolicyUserAssign.ReadWrite.All"
    )]
    pub ms_required_permissions: Vec<String>,

    /// Directory role template id the app must hold (Teams Communications Administrator).
    #[arg(long, env = "MS_REQUIRED_ROLE", default_value = TEAMS_COMMUNICATIONS_ADMINISTRATOR)]
    pub ms_required_role: String,

    /// Overall deadline of one verification (setup step 4 and each health check), in seconds.
    #[arg(long, env = "VERIFY_DEADLINE_SECONDS", default_value_t = 30)]
    pub verify_deadline_seconds: u64,

    /// How often each connected tenant is re-verified, in seconds.
    #[arg(long, env = "HEALTH_INTERVAL_SECONDS", default_value_t = 900)]
    pub health_interval_seconds: u64,

    /// Background jobs this process runs at once; 0: it runs none (it only serves requests).
    #[arg(long, env = "JOB_WORKERS", default_value_t = 4)]
    pub job_workers: usize,

    /// Seconds a running job's lease lasts (renewed every third of it). After a crash the job
    /// waits this long before a process takes it up again; too short, and a slow database can
    /// make a live run lose its job to another.
    #[arg(long, env = "JOB_LEASE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(6..=3600))]
    pub job_lease_seconds: u64,

    /// Days a released number rests (`aging`) before it can be assigned again.
    #[arg(long, env = "NUMBER_AGING_DAYS", default_value_t = 30)]
    pub number_aging_days: u32,

    /// A block, country or location is low on stock below this many available numbers.
    #[arg(long, env = "LOW_STOCK_THRESHOLD", default_value_t = 10)]
    pub low_stock_threshold: u64,

    /// The most numbers one account's inventory may hold; a load past it is refused whole.
    #[arg(long, env = "NUMBER_QUOTA", default_value_t = 100_000)]
    pub number_quota: u64,

    /// The most loads of numbers one account may make per NUMBER_LOAD_WINDOW_SECONDS; one more
    /// is refused (429 with Retry-After).
    #[arg(long, env = "NUMBER_LOADS_PER_WINDOW", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub number_loads_per_window: u32,

    /// The window of NUMBER_LOADS_PER_WINDOW, in seconds.
    #[arg(long, env = "NUMBER_LOAD_WINDOW_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub number_load_window_seconds: u64,

    /// Users a bulk job provisions at once (fewer after Microsoft throttles).
    #[arg(long, env = "BULK_CONCURRENCY", default_value_t = 8)]
    pub bulk_concurrency: usize,

    /// Bulk phone-service jobs one account may have queued or running at once; another is
    /// refused (409 `bulk_job_unfinished`, naming the unfinished job) until one finishes.
    #[arg(long, env = "BULK_MAX_UNFINISHED", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub bulk_max_unfinished: u32,

    /// How often each connected account's users are synced, in seconds (0: on demand only).
    #[arg(long, env = "USER_SYNC_INTERVAL_SECONDS", default_value_t = 3600)]
    pub user_sync_interval_seconds: u64,

    /// How often reconciliation with Teams runs, in seconds (0: at start-up only).
    #[arg(long, env = "RECONCILE_INTERVAL_SECONDS", default_value_t = 900)]
    pub reconcile_interval_seconds: u64,

    /// How often a Teams number operation is polled, in milliseconds.
    #[arg(long, env = "OPERATION_POLL_MS", default_value_t = 500)]
    pub operation_poll_ms: u64,

    /// How long a change reads Teams back for its number, location and policies to be in
    /// effect before it is undone, in seconds (Teams applies policies with a delay).
    #[arg(long, env = "READ_BACK_TIMEOUT_SECONDS", default_value_t = 120)]
    pub read_back_timeout_seconds: u64,

    /// How long a consent link (setup step 2) stays usable, in minutes.
    #[arg(long, env = "CONSENT_TTL_MINUTES", default_value_t = 15)]
    pub consent_ttl_minutes: u64,

    /// Sign-ins to Microsoft (setup step 2) each person may start for their account, and manual
    /// verifications each account may start, within CONNECTION_ACTION_WINDOW_SECONDS. Past it,
    /// setup answers 429 and verify answers the last report.
    #[arg(long, env = "CONNECTION_ACTIONS_PER_WINDOW", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub connection_actions_per_window: u64,

    /// The window of CONNECTION_ACTIONS_PER_WINDOW, in seconds.
    #[arg(long, env = "CONNECTION_ACTION_WINDOW_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub connection_action_window_seconds: u64,

    /// Simulated mode: how long the simulator's Teams number operations take, in milliseconds.
    #[arg(long, env = "SIM_OPERATION_DELAY_MS", default_value_t = 2000)]
    pub sim_operation_delay_ms: u64,

    /// Webhook deliveries this process attempts at once; 0: it delivers none.
    #[arg(long, env = "WEBHOOK_WORKERS", default_value_t = 4)]
    pub webhook_workers: usize,

    /// Delays before each retry of a failed webhook delivery, comma-separated, each a whole
    /// number with its unit (ms, s, m, h). Attempts: one more than the delays.
    #[arg(
        long,
        env = "WEBHOOK_RETRY_SCHEDULE",
        value_delimiter = ',',
        value_parser = crate::domain::webhooks::retry::parse_delay,
        default_value = crate::domain::webhooks::retry::DEFAULT_SCHEDULE
    )]
    pub webhook_retry_schedule: Vec<Duration>,

    /// How long one webhook delivery attempt may take, in seconds.
    #[arg(long, env = "WEBHOOK_TIMEOUT_SECONDS", default_value_t = 15)]
    pub webhook_timeout_seconds: u64,

    /// How often the webhook outbox is looked at when nothing was due, in milliseconds.
    #[arg(long, env = "WEBHOOK_POLL_MS", default_value_t = 1000)]
    pub webhook_poll_ms: u64,

    /// Create the demo accounts and users at start-up (skipped when they exist).
    #[arg(long, env = "DEMO_SEED", default_value_t = false, action = clap::ArgAction::Set)]
    pub demo_seed: bool,

    /// Password of the demo users.
    #[arg(
        long,
        env = "DEMO_PASSWORD",
        default_value = "demo-password",
        hide_env_values = true
    )]
    pub demo_password: SecretString,

    /// Directory with the built web app (index.html and its assets).
    #[arg(long, env = "WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,

    /// `human` or `json` log lines.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Serve `/metrics` on this address only (e.g. 127.0.0.1:9090) instead of on BIND_ADDR.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// How many reverse proxies in front of the server append the client's address to
    /// `X-Forwarded-For`; the sign-in throttle counts that entry from the right. 0: the
    /// address of the TCP peer, and the header is ignored.
    #[arg(long, env = "TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,

    /// Password hashes (argon2id) run at once, at most. Default: half the cores, at least 1.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY")]
    pub password_hash_concurrency: Option<usize>,

    /// Writes (POST, PUT, PATCH, DELETE) one principal (a person or an API token) may make in
    /// a minute, across every process on the database; more answer 429 with `Retry-After`.
    /// 0: no limit.
    #[arg(long, env = "RATE_LIMIT_WRITES_PER_MINUTE", default_value_t = 600)]
    pub rate_limit_writes_per_minute: u32,

    /// Reads (GET, HEAD) one principal may make in a minute. 0 (the default): no limit, and no
    /// database write for a read.
    #[arg(long, env = "RATE_LIMIT_READS_PER_MINUTE", default_value_t = 0)]
    pub rate_limit_reads_per_minute: u32,

    /// Invitations an account's admins may send in an hour; more answer 429. 0: no limit.
    #[arg(long, env = "INVITES_PER_HOUR", default_value_t = 20)]
    pub invites_per_hour: u32,

    /// How long an invitation's one-time password works, unused, in hours.
    #[arg(long, env = "INVITATION_TTL_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u32).range(1..=8_760))]
    pub invitation_ttl_hours: u32,

    /// Start in simulated mode even on a non-loopback BIND_ADDR or an https PUBLIC_URL. The
    /// simulator's control API has no authentication: never on a network others reach.
    #[arg(
        long,
        env = "ALLOW_SIMULATOR_ON_NETWORK",
        default_value_t = false,
        action = clap::ArgAction::SetTrue
    )]
    pub allow_simulator_on_network: bool,
}

impl Config {
    /// Why simulated mode must not start with these settings, if it must not: the
    /// simulator's control API (tenants, consent, faults) has no authentication, and it sits
    /// on the portal's listener.
    pub fn simulator_exposure(&self) -> Option<String> {
        if self.microsoft_mode != MicrosoftMode::Simulated || self.allow_simulator_on_network {
            return None;
        }
        let https = self
            .public_url
            .as_deref()
            .is_some_and(|url| url.trim().to_ascii_lowercase().starts_with("https://"));
        if !self.bind_addr.ip().is_loopback() {
            Some(format!(
                "refusing to start: MICROSOFT_MODE=simulated on BIND_ADDR {} would expose the \
                 simulator's unauthenticated control API to the network; bind to 127.0.0.1, \
                 use MICROSOFT_MODE=live, or pass --allow-simulator-on-network",
                self.bind_addr
            ))
        } else if https {
            Some(
                "refusing to start: MICROSOFT_MODE=simulated with an https PUBLIC_URL looks like \
                 a deployment, and the simulator's control API has no authentication; use \
                 MICROSOFT_MODE=live, or pass --allow-simulator-on-network"
                    .to_owned(),
            )
        } else {
            None
        }
    }

    /// Where webhook deliveries may go: in live mode, https to public addresses only.
    pub fn rate_limits(&self) -> crate::domain::rate_limit::RateLimits {
        use crate::domain::rate_limit::{Limit, RateLimits};
        let minute = Duration::from_secs(60);
        RateLimits {
            writes: Limit::new(self.rate_limit_writes_per_minute, minute),
            reads: Limit::new(self.rate_limit_reads_per_minute, minute),
            invites: Limit::new(self.invites_per_hour, Duration::from_secs(3600)),
            invitation_ttl: Duration::from_secs(u64::from(self.invitation_ttl_hours) * 3600),
        }
    }

    pub fn webhook_url_policy(&self) -> crate::domain::webhooks::url_policy::UrlPolicy {
        use crate::domain::webhooks::url_policy::UrlPolicy;
        match self.microsoft_mode {
            MicrosoftMode::Simulated => UrlPolicy::Simulated,
            MicrosoftMode::Live => UrlPolicy::Live,
        }
    }

    /// The webhook dispatcher's settings.
    pub fn webhook_delivery(&self) -> crate::jobs::webhook_delivery::DispatcherSettings {
        let timeout = Duration::from_secs(self.webhook_timeout_seconds.clamp(1, 300));
        crate::jobs::webhook_delivery::DispatcherSettings {
            poll_interval: Duration::from_millis(self.webhook_poll_ms.clamp(10, 60_000)),
            schedule: crate::domain::webhooks::retry::RetrySchedule::new(
                self.webhook_retry_schedule.clone(),
            ),
            ..crate::jobs::webhook_delivery::DispatcherSettings::new(
                self.webhook_workers.min(64),
                timeout,
            )
        }
    }

    /// Whether browsers reach the portal over https (HSTS is sent then).
    pub fn telephony(&self) -> crate::domain::telephony::TelephonySettings {
        crate::domain::telephony::TelephonySettings {
            aging_days: self
                .number_aging_days
                .min(crate::domain::phone_service::MAX_AGING_DAYS),
            low_stock_threshold: self.low_stock_threshold,
            bulk_concurrency: self.bulk_concurrency.clamp(1, 64),
            sync_interval_seconds: self.user_sync_interval_seconds,
            reconcile_interval_seconds: self.reconcile_interval_seconds,
            operation_poll: std::time::Duration::from_millis(
                self.operation_poll_ms.clamp(10, 10_000),
            ),
            read_back_timeout: std::time::Duration::from_secs(
                self.read_back_timeout_seconds.clamp(1, 3600),
            ),
            ..Default::default()
        }
    }

    /// What one account may load into its inventory.
    pub fn load_limits(&self) -> crate::domain::numbers::limits::LoadLimits {
        crate::domain::numbers::limits::LoadLimits {
            quota: self.number_quota,
            loads_per_window: self.number_loads_per_window,
            window: Duration::from_secs(self.number_load_window_seconds),
        }
    }

    pub fn is_https(&self) -> bool {
        self.public_url()
            .to_ascii_lowercase()
            .starts_with("https://")
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind_addr),
        }
    }

    /// The registered redirect URI of the sign-in that precedes admin consent (step 2).
    pub fn sign_in_redirect_uri(&self) -> String {
        format!(
            "{}/api/v1/tenant-connection/sign-in-callback",
            self.public_url()
        )
    }

    /// The registered redirect URI of the admin-consent flow.
    pub fn consent_redirect_uri(&self) -> String {
        format!(
            "{}/api/v1/tenant-connection/consent-callback",
            self.public_url()
        )
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("tenant-connect.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Settings {
        #[command(flatten)]
        config: Config,
    }

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["tenant-connect"];
        all.extend_from_slice(args);
        Settings::try_parse_from(all)
            .map(|s| s.config)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_webhook_retry_schedule_is_a_list_of_delays() {
        let default = config(&[]).webhook_delivery();
        assert_eq!(default.schedule.attempts(), 8);
        assert_eq!(default.schedule.after(1), Some(Duration::from_secs(5)));
        assert_eq!(default.lease, Duration::from_secs(45));
        let quick = config(&["--webhook-retry-schedule", "50ms,100ms"]).webhook_delivery();
        assert_eq!(quick.schedule.attempts(), 3);
        assert_eq!(quick.schedule.after(2), Some(Duration::from_millis(100)));
        let mut all = vec!["tenant-connect"];
        all.extend_from_slice(&["--webhook-retry-schedule", "5 fortnights"]);
        assert!(Settings::try_parse_from(all).is_err());
    }

    #[test]
    fn load_limits_default_to_the_domains_and_refuse_a_zero_rate() {
        use crate::domain::numbers::limits::LoadLimits;
        assert_eq!(config(&[]).load_limits(), LoadLimits::default());
        let set = config(&[
            "--number-quota",
            "500",
            "--number-loads-per-window",
            "3",
            "--number-load-window-seconds",
            "60",
        ])
        .load_limits();
        assert_eq!(
            set,
            LoadLimits {
                quota: 500,
                loads_per_window: 3,
                window: Duration::from_secs(60),
            }
        );
        for bad in [
            &["--number-loads-per-window", "0"][..],
            &["--number-load-window-seconds", "0"],
        ] {
            let mut all = vec!["tenant-connect"];
            all.extend_from_slice(bad);
            assert!(Settings::try_parse_from(all).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_simulator_stays_on_loopback_unless_allowed() {
        for args in [
            &[][..],
            &["--bind-addr", "127.0.0.1:8080"],
            &["--bind-addr", "[::1]:8080"],
            &["--public-url", "http://localhost:8080"],
            &["--bind-addr", "0.0.0.0:8080", "--microsoft-mode", "live"],
            &[
                "--bind-addr",
                "0.0.0.0:8080",
                "--allow-simulator-on-network",
            ],
            &[
                "--public-url",
                "https://portal.example",
                "--microsoft-mode",
                "live",
            ],
        ] {
            assert_eq!(config(args).simulator_exposure(), None, "{args:?}");
        }
        for args in [
            &["--bind-addr", "0.0.0.0:8080"][..],
            &["--bind-addr", "192.168.1.10:8080"],
            &["--bind-addr", "[::]:8080"],
            &["--public-url", "https://portal.example"],
            &["--public-url", "HTTPS://portal.example"],
        ] {
            let reason = config(args).simulator_exposure();
            assert!(
                reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("refusing to start")
                        && !r.contains('\n')
                        && r.contains("--allow-simulator-on-network")),
                "{args:?}: {reason:?}"
            );
        }
    }
}
