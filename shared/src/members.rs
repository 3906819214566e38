use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::role::Role;

dto! {
    /// A portal user of the caller's account, or a person invited who has not signed in yet.
    pub struct Member {
        pub id: Uuid,
        pub email: String,
        pub role: Role,
        pub created_at: DateTime<Utc>,
        /// `active`: signed in at least once; `invited`: not yet.
        #[serde(default)]
        pub status: MemberStatus,
        /// When an invitation's one-time password stops working, unused; `null` for an
        /// active member.
        #[serde(default)]
        pub invitation_expires_at: Option<DateTime<Utc>>,
    }
}

/// Whether a member has signed in yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Has a sign-in to the portal.
    #[default]
    Active,
    /// Invited: becomes active when they first sign in with the one-time password.
    Invited,
}

dto! {
    /// Add a person to the account.
    #[serde(deny_unknown_fields)]
    pub struct InviteMemberRequest {
        /// An email address of at most 254 characters.
        #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"))]
        pub email: String,
        pub role: Role,
    }
}

dto! {
    /// The invitation and its one-time password: shown once, never stored in clear. Pass it
    /// to the person; they sign in with it (which makes them a member) and change it. It
    /// expires unused after the server's `INVITATION_TTL_HOURS`.
    pub struct InvitedMember {
        pub member: Member,
        pub temporary_password: String,
    }
}

dto! {
    /// Change a member's role.
    #[serde(deny_unknown_fields)]
    pub struct UpdateMemberRequest {
        pub role: Role,
    }
}
