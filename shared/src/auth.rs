use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::role::Role;

dto! {
    /// Sign in with the portal's email and password.
    #[serde(deny_unknown_fields)]
    pub struct LoginRequest {
        /// At most 254 characters, none of them a control character.
        #[cfg_attr(feature = "openapi", schema(max_length = 254, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"))]
        pub email: String,
        /// At most 256 characters.
        #[cfg_attr(feature = "openapi", schema(max_length = 256))]
        pub password: String,
    }
}

dto! {
    /// A signed-in session: send `access_token` as `Authorization: Bearer ...`.
    pub struct LoginResponse {
        pub access_token: String,
        /// Always `Bearer`.
        pub token_type: String,
        /// Seconds until the token expires; sign in again after that.
        pub expires_in: u64,
        pub me: Me,
    }
}

dto! {
    /// The account a user or token belongs to.
    pub struct AccountSummary {
        pub id: Uuid,
        pub name: String,
    }
}

dto! {
    /// Who the caller is.
    pub struct Me {
        /// The portal user's id, or the API token's id when called with a token.
        pub id: Uuid,
        /// The user's email; for an API token, its name.
        pub email: String,
        pub role: Role,
        /// `user` (signed in with a password) or `api_token`.
        pub kind: PrincipalKind,
        pub account: AccountSummary,
    }
}

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    User,
    ApiToken,
}

dto! {
    /// Change your own password.
    #[serde(deny_unknown_fields)]
    pub struct ChangePasswordRequest {
        /// At most 256 characters.
        #[cfg_attr(feature = "openapi", schema(max_length = 256))]
        pub current_password: String,
        /// 12 to 256 characters.
        #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
        pub new_password: String,
    }
}

dto! {
    /// Liveness and readiness answers.
    pub struct Health {
        /// `ok`, or `unavailable` when a dependency is down.
        pub status: String,
        /// When the answer was made.
        pub checked_at: DateTime<Utc>,
    }
}
