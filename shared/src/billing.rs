//! Billing of enabled users, read from the ledger.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How the month's billable-user count is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BillingRule {
    /// A user with phone service on any day of the month counts as one.
    AnyDay,
    /// User-days divided by the days in the month.
    ProRata,
}

impl BillingRule {
    pub const ALL: [BillingRule; 2] = [BillingRule::AnyDay, BillingRule::ProRata];

    pub fn as_str(self) -> &'static str {
        match self {
            BillingRule::AnyDay => "any_day",
            BillingRule::ProRata => "pro_rata",
        }
    }

    pub fn parse(s: &str) -> Option<BillingRule> {
        BillingRule::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            BillingRule::AnyDay => "Any day",
            BillingRule::ProRata => "Pro rata",
        }
    }
}

dto! {
    /// The account's billing settings.
    #[serde(deny_unknown_fields)]
    pub struct BillingSettings {
        pub rule: BillingRule,
    }
}

dto! {
    /// A stretch of phone service inside the month.
    pub struct ServiceInterval {
        /// When service began, or the month's start if it began before.
        pub from: DateTime<Utc>,
        /// When service ended; absent while it goes on past the month's end (or now).
        pub to: Option<DateTime<Utc>>,
        /// The number the user had.
        pub number: String,
    }
}

dto! {
    /// One user's service in the month.
    pub struct UserUsage {
        /// The Microsoft user (Entra object id).
        pub user_id: String,
        /// From the last user sync, when the user is still in the tenant.
        pub user_principal_name: Option<String>,
        pub display_name: Option<String>,
        pub intervals: Vec<ServiceInterval>,
        /// Days (UTC) of the month on which the user had service at any moment.
        pub billable_days: u32,
    }
}

dto! {
    /// How many users had service on one day (UTC).
    pub struct DailyCount {
        pub date: NaiveDate,
        pub enabled_users: u32,
    }
}

dto! {
    /// The month's figures.
    pub struct UsageTotals {
        /// Users with service on at least one day.
        pub users_with_service: u32,
        /// The sum of every user's billable days.
        pub user_days: u32,
        /// Under `any_day`, `users_with_service`; under `pro_rata`, `user_days` divided by
        /// `days_in_month`, rounded half up to two decimals.
        pub billable_users: f64,
        /// The most users with service at the same moment.
        pub peak_concurrent: u32,
        /// When that peak was first reached.
        pub peak_at: Option<DateTime<Utc>>,
    }
}

/// Why a user shows on the discrepancy list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// Teams shows the user with one of the account's numbers; the ledger has no service.
    AssignedOutsidePortal,
    /// The ledger has service; Teams shows the user without that number.
    MissingInTeams,
}

dto! {
    /// Where Teams and the ledger disagree, as of the last user sync. Users whose service
    /// changed since that sync are not compared.
    pub struct Discrepancy {
        pub kind: DiscrepancyKind,
        pub user_id: String,
        pub user_principal_name: Option<String>,
        pub display_name: Option<String>,
        /// The number in question.
        pub number: Option<String>,
        pub reason: String,
    }
}

dto! {
    /// `GET /api/v1/billing/usage?month=YYYY-MM`.
    pub struct UsageReport {
        /// `YYYY-MM`.
        pub month: String,
        /// The rule in force at the month's end (or now, in a running month).
        pub rule: BillingRule,
        pub days_in_month: u32,
        /// False while the month is still running: its figures are so far.
        pub complete: bool,
        pub generated_at: DateTime<Utc>,
        pub totals: UsageTotals,
        /// Each day of the month up to today.
        pub daily: Vec<DailyCount>,
        /// Users with service in the month, by user id.
        pub users: Vec<UserUsage>,
        /// Where Teams and the ledger disagree now (as of `teams_checked_at`), whatever the
        /// month asked.
        pub discrepancies: Vec<Discrepancy>,
        /// When Teams was read for the discrepancies (the last successful user sync); absent
        /// before one, and then there are no discrepancies to show.
        pub teams_checked_at: Option<DateTime<Utc>>,
    }
}
