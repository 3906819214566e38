use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::role::Role;

dto! {
    /// An API token for an integrator, without its secret.
    pub struct ApiToken {
        pub id: Uuid,
        pub name: String,
        /// What the token may do, as for a portal user.
        pub role: Role,
        /// The first characters of the token, to recognise it.
        pub prefix: String,
        pub created_at: DateTime<Utc>,
        pub last_used_at: Option<DateTime<Utc>>,
        /// Set once revoked; a revoked token is refused.
        pub revoked_at: Option<DateTime<Utc>>,
        /// When the token stops working; `null`: it never expires.
        #[serde(default)]
        pub expires_at: Option<DateTime<Utc>>,
        /// Who created it. The token acts with at most its creator's current role, and is
        /// revoked when its creator is removed. `null`: not recorded (a token whose creator
        /// was removed before creators were kept; such tokens were revoked then).
        #[serde(default)]
        pub created_by: Option<TokenCreator>,
    }
}

dto! {
    /// The person who created an API token, as they were then.
    pub struct TokenCreator {
        /// Their member id (they may have been removed since).
        pub id: Uuid,
        pub email: String,
    }
}

dto! {
    /// Create an API token.
    #[serde(deny_unknown_fields)]
    pub struct CreateApiTokenRequest {
        /// What it is for, e.g. "Billing export": 1 to 100 characters, not all of them
        /// spaces, none of them a control character.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"))]
        pub name: String,
        pub role: Role,
        /// When the token stops working (in the future); omitted or `null`: never.
        #[serde(default)]
        pub expires_at: Option<DateTime<Utc>>,
    }
}

dto! {
    /// A new token with its secret: shown once, stored only as a hash.
    pub struct CreatedApiToken {
        pub token: ApiToken,
        /// Send as `Authorization: Bearer ...`.
        pub secret: String,
    }
}
