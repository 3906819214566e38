use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::role::Role;

dto! {
    /// A portal user of the caller's account.
    pub struct Member {
        pub id: Uuid,
        pub email: String,
        pub role: Role,
        pub created_at: DateTime<Utc>,
    }
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
    /// The new member and their one-time password: shown once, never stored in clear.
    /// Pass it to the person; they sign in with it and change it.
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
