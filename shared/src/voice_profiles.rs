//! Voice profiles: what "phone service" gives a user besides a number — the Teams voice policies
//! and the emergency location — and where its numbers come from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// A Teams policy type a profile may set (the names Teams PowerShell and Graph use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PolicyType {
    /// Where the user's calls go out: Direct Routing needs one that routes to the provider's SBC.
    OnlineVoiceRoutingPolicy,
    /// How dialled digits are normalised.
    TenantDialPlan,
    /// The caller ID others see.
    CallingLineIdentity,
    TeamsEmergencyCallingPolicy,
    TeamsEmergencyCallRoutingPolicy,
}

impl PolicyType {
    pub const ALL: [PolicyType; 5] = [
        PolicyType::OnlineVoiceRoutingPolicy,
        PolicyType::TenantDialPlan,
        PolicyType::CallingLineIdentity,
        PolicyType::TeamsEmergencyCallingPolicy,
        PolicyType::TeamsEmergencyCallRoutingPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::OnlineVoiceRoutingPolicy => "OnlineVoiceRoutingPolicy",
            PolicyType::TenantDialPlan => "TenantDialPlan",
            PolicyType::CallingLineIdentity => "CallingLineIdentity",
            PolicyType::TeamsEmergencyCallingPolicy => "TeamsEmergencyCallingPolicy",
            PolicyType::TeamsEmergencyCallRoutingPolicy => "TeamsEmergencyCallRoutingPolicy",
        }
    }

    /// Case-insensitive, as Teams compares type names.
    pub fn parse(s: &str) -> Option<PolicyType> {
        PolicyType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// What an admin reads.
    pub fn label(self) -> &'static str {
        match self {
            PolicyType::OnlineVoiceRoutingPolicy => "Voice routing policy",
            PolicyType::TenantDialPlan => "Dial plan",
            PolicyType::CallingLineIdentity => "Caller ID policy",
            PolicyType::TeamsEmergencyCallingPolicy => "Emergency calling policy",
            PolicyType::TeamsEmergencyCallRoutingPolicy => "Emergency call routing policy",
        }
    }
}

/// Where a profile's numbers come from when none is named: auto-select picks an available
/// number there.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NumberSource {
    /// The user's usage-location country, else the account's default country.
    #[default]
    Any,
    /// One number block.
    Block { block_id: Uuid },
    /// Blocks loaded with this location.
    Location {
        /// At most 100 characters, none of them a control character.
        #[cfg_attr(
            feature = "openapi",
            schema(
                pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
            )
        )]
        location: String,
    },
    /// Numbers of this ISO 3166 alpha-2 country.
    Country {
        #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z]{2}$"))]
        country: String,
    },
}

dto! {
    /// A Teams policy a profile sets, by name.
    #[serde(deny_unknown_fields)]
    pub struct PolicyChoice {
        pub policy_type: PolicyType,
        /// The policy's name in Teams (`US-Route`), as in the Teams admin center. Leave the type
        /// out of the profile to keep the org-wide default (Global). At most 256 characters,
        /// none of them a control character.
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,256}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub name: String,
    }
}

dto! {
    /// A Teams policy of a profile, resolved when the profile was saved.
    pub struct ProfilePolicy {
        pub policy_type: PolicyType,
        pub name: String,
        /// Teams' id of the policy (`getPolicyId`).
        pub policy_id: String,
        /// Graph refused to assign this policy type: admins assign it in the Teams admin center
        /// (the portal still gives the number and the other policies).
        pub manual: bool,
    }
}

dto! {
    /// A Teams emergency location (LIS): its `locationId`, and a label for people.
    #[serde(deny_unknown_fields)]
    pub struct EmergencyLocation {
        /// The LIS location id (a GUID), from `Get-CsOnlineLisLocation` or the numbers that
        /// already have it.
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,64}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub location_id: String,
        /// At most 100 characters, none of them a control character.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub label: Option<String>,
    }
}

dto! {
    /// A voice profile: what phone service gives a user.
    pub struct VoiceProfile {
        pub id: Uuid,
        pub name: String,
        pub number_source: NumberSource,
        pub policies: Vec<ProfilePolicy>,
        pub emergency_location: Option<EmergencyLocation>,
        /// The account's default profile: used when a change names none.
        pub is_default: bool,
        /// Number blocks whose numbers take this profile by default.
        pub default_for_blocks: Vec<Uuid>,
        /// Users whose service came from this profile (it cannot be deleted while any do).
        pub users: u64,
        /// Things an admin must do by hand, e.g. "Assign TenantDialPlan in the Teams admin
        /// center: Microsoft Graph does not accept this policy type."
        pub warnings: Vec<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

dto! {
    /// A new profile. Policy names are checked with Teams when saved.
    #[serde(deny_unknown_fields)]
    pub struct NewVoiceProfile {
        /// 1 to 100 characters, none of them a control character, unique in the account.
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub name: String,
        #[serde(default)]
        pub number_source: NumberSource,
        /// At most one per type.
        #[serde(default)]
        pub policies: Vec<PolicyChoice>,
        #[serde(default)]
        pub emergency_location: Option<EmergencyLocation>,
        /// Make it the account's default profile.
        #[serde(default)]
        pub is_default: bool,
        #[serde(default)]
        pub default_for_blocks: Vec<Uuid>,
    }
}

dto! {
    /// A change of a profile: fields left out stay as they are. It applies to later changes of
    /// users; users who have service keep what they were given.
    #[serde(deny_unknown_fields)]
    pub struct VoiceProfilePatch {
        /// 1 to 100 characters, none of them a control character, unique in the account.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub name: Option<String>,
        #[serde(default)]
        pub number_source: Option<NumberSource>,
        /// Replaces the profile's policies.
        #[serde(default)]
        pub policies: Option<Vec<PolicyChoice>>,
        /// `null` removes the emergency location.
        #[serde(default, deserialize_with = "present")]
        #[cfg_attr(feature = "openapi", schema(nullable))]
        pub emergency_location: Option<Option<EmergencyLocation>>,
        /// `true` makes it the default (the previous default stops being one).
        #[serde(default)]
        pub is_default: Option<bool>,
        #[serde(default)]
        pub default_for_blocks: Option<Vec<Uuid>>,
    }
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

dto! {
    /// A policy name seen in effect on the tenant's users.
    pub struct SeenPolicy {
        pub policy_type: PolicyType,
        pub name: String,
        /// Users it is in effect on (directly or through a group), of those read.
        pub users: u64,
    }
}

dto! {
    /// An emergency location seen on the tenant's numbers.
    pub struct SeenLocation {
        pub location_id: String,
        pub numbers: u64,
    }
}

dto! {
    /// Choices for a profile, read from Teams: policies in effect on the tenant's users and
    /// locations on its numbers. Teams can have others: any name may be typed.
    pub struct ProfileChoices {
        pub policies: Vec<SeenPolicy>,
        pub locations: Vec<SeenLocation>,
    }
}
