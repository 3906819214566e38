//! Adding and removing a user's phone service, one user or in bulk.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::DirectoryUser;

dto! {
    /// Give a user phone service. Without `number`, an available number is chosen: in the
    /// user's usage-location country first, then the account's default country.
    #[serde(deny_unknown_fields)]
    pub struct PhoneServiceRequest {
        /// A number of your inventory, in E.164 (`+14255550100`), valid in its country's
        /// numbering plan.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(\\+[1-9][0-9]{1,14})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub number: Option<String>,
        /// The voice profile to apply (its policies and emergency location); the account's
        /// default profile when left out.
        #[serde(default)]
        pub profile: Option<Uuid>,
    }
}

dto! {
    /// What a provisioning request did: the user as they now stand. While Teams works
    /// (`service.state` is `pending` or `removing`), follow `job_id` or the user.
    pub struct PhoneServiceOutcome {
        pub user: DirectoryUser,
        /// True when this request repeated an earlier one (same `Idempotency-Key`).
        pub replayed: bool,
    }
}

/// The most users one bulk request may name.
pub const MAX_BULK_USERS: usize = 5_000;

dto! {
    /// Give phone service to many users: by Entra object id or user principal name.
    #[serde(deny_unknown_fields)]
    pub struct BulkRequest {
        /// 1 to 5,000 users, each an object id or UPN of at most 256 characters.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::bulk_users))]
        #[serde(deserialize_with = "crate::bounded::list::<_, _, MAX_BULK_USERS>")]
        pub users: Vec<String>,
        /// The voice profile to apply to every user; the account's default when left out.
        #[serde(default)]
        pub profile: Option<Uuid>,
    }
}

/// How one user of a bulk job came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BulkItemOutcome {
    /// Waiting for its turn.
    Queued,
    /// Teams assigned the number.
    Assigned,
    /// The user already had service; nothing changed.
    AlreadyActive,
    /// Not done; `detail` says why.
    Failed,
    /// A rollback took away the service the bulk job gave.
    Removed,
    /// A rollback left this user alone: their service changed after the bulk job.
    Skipped,
}

impl BulkItemOutcome {
    pub const ALL: [BulkItemOutcome; 6] = [
        BulkItemOutcome::Queued,
        BulkItemOutcome::Assigned,
        BulkItemOutcome::AlreadyActive,
        BulkItemOutcome::Failed,
        BulkItemOutcome::Removed,
        BulkItemOutcome::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkItemOutcome::Queued => "queued",
            BulkItemOutcome::Assigned => "assigned",
            BulkItemOutcome::AlreadyActive => "already_active",
            BulkItemOutcome::Failed => "failed",
            BulkItemOutcome::Removed => "removed",
            BulkItemOutcome::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<BulkItemOutcome> {
        BulkItemOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

dto! {
    /// One user of a bulk job.
    pub struct BulkItem {
        /// As given in the request (object id or UPN).
        pub user: String,
        pub user_id: Option<String>,
        pub outcome: BulkItemOutcome,
        pub number: Option<String>,
        pub detail: Option<String>,
    }
}

dto! {
    /// A bulk job and each user's outcome so far.
    pub struct BulkStatus {
        pub job: crate::jobs::Job,
        pub items: Vec<BulkItem>,
    }
}

dto! {
    /// The bulk job accepted.
    pub struct BulkAccepted {
        pub job_id: Uuid,
        pub users: u32,
    }
}

dto! {
    /// What would happen: the same input as a single change (one user, a profile, a number) or
    /// a bulk (users, a profile). Nothing changes and nothing is reserved.
    #[serde(deny_unknown_fields)]
    pub struct PreviewRequest {
        /// 1 to 5,000 users, each an object id or UPN.
        #[cfg_attr(feature = "openapi", schema(schema_with = crate::schemas::bulk_users))]
        #[serde(deserialize_with = "crate::bounded::list::<_, _, MAX_BULK_USERS>")]
        pub users: Vec<String>,
        #[serde(default)]
        pub profile: Option<Uuid>,
        /// A named number (one user only), in E.164.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*(\\+[1-9][0-9]{1,14})?[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub number: Option<String>,
    }
}

dto! {
    /// One user of a preview.
    pub struct PreviewRow {
        /// As given (object id or UPN).
        pub user: String,
        pub user_id: Option<String>,
        pub display_name: Option<String>,
        pub would_succeed: bool,
        /// The number the change would take now (auto-select's pick, or the named one).
        pub number: Option<String>,
        /// Why it would fail; empty when it would succeed.
        pub problems: Vec<String>,
        /// What would need a hand (a policy type Graph does not take).
        pub notes: Vec<String>,
    }
}

dto! {
    /// What a change would do, row by row.
    pub struct Preview {
        pub profile: Option<crate::voice_profiles::VoiceProfile>,
        pub rows: Vec<PreviewRow>,
        pub would_succeed: u32,
        pub would_fail: u32,
    }
}

#[cfg(test)]
mod tests {
    use super::BulkItemOutcome;

    #[test]
    fn outcome_names_parse_back() {
        for outcome in BulkItemOutcome::ALL {
            assert_eq!(BulkItemOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(BulkItemOutcome::parse("done"), None);
    }
}
