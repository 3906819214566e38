//! The account's telephone number inventory, its blocks and capacity.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a number stands in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NumberStatus {
    /// Free to assign.
    Available,
    /// Held for a user while Teams assigns it.
    Reserved,
    /// Assigned to a user in Teams.
    Assigned,
    /// Released; rests until `available_from` before reuse.
    Aging,
}

impl NumberStatus {
    pub const ALL: [NumberStatus; 4] = [
        NumberStatus::Available,
        NumberStatus::Reserved,
        NumberStatus::Assigned,
        NumberStatus::Aging,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Available => "available",
            NumberStatus::Reserved => "reserved",
            NumberStatus::Assigned => "assigned",
            NumberStatus::Aging => "aging",
        }
    }

    pub fn parse(s: &str) -> Option<NumberStatus> {
        NumberStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How Teams disagrees with the portal about a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// Teams shows it assigned; the portal did not assign it.
    AssignedOutsidePortal,
    /// Teams shows it assigned to another user than the portal's.
    AssignedToOtherUser,
    /// The portal shows it assigned; Teams does not.
    MissingInTeams,
}

impl Mismatch {
    pub const ALL: [Mismatch; 3] = [
        Mismatch::AssignedOutsidePortal,
        Mismatch::AssignedToOtherUser,
        Mismatch::MissingInTeams,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mismatch::AssignedOutsidePortal => "assigned_outside_portal",
            Mismatch::AssignedToOtherUser => "assigned_to_other_user",
            Mismatch::MissingInTeams => "missing_in_teams",
        }
    }

    pub fn parse(s: &str) -> Option<Mismatch> {
        Mismatch::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

dto! {
    /// A user a number belongs to (or is held for).
    pub struct NumberHolder {
        pub id: String,
        pub user_principal_name: String,
        pub display_name: String,
    }
}

dto! {
    /// What reconciliation found Teams disagreeing with, left for a person to settle.
    pub struct NumberConflict {
        pub kind: Mismatch,
        /// The Entra object id Teams shows the number assigned to, if any.
        pub teams_user_id: Option<String>,
        /// That user's UPN, when they are in the directory.
        pub teams_user_principal_name: Option<String>,
        pub found_at: DateTime<Utc>,
    }
}

dto! {
    /// A telephone number of the account's inventory.
    pub struct PhoneNumber {
        /// E.164, e.g. `+14255550100`.
        pub number: String,
        /// ISO 3166 alpha-2 country of the number.
        pub country: String,
        pub location: Option<String>,
        pub block_id: Uuid,
        pub status: NumberStatus,
        /// Who holds it while reserved or assigned.
        pub user: Option<NumberHolder>,
        /// While aging: when it becomes available again.
        pub available_from: Option<DateTime<Utc>>,
        /// Set when Teams disagrees with the portal about this number.
        pub conflict: Option<NumberConflict>,
        pub updated_at: DateTime<Utc>,
    }
}

dto! {
    /// A block of numbers loaded together.
    pub struct NumberBlock {
        pub id: Uuid,
        pub label: Option<String>,
        pub location: Option<String>,
        /// The lowest and highest number of the block (E.164).
        pub first: String,
        pub last: String,
        pub count: u32,
        pub created_at: DateTime<Utc>,
        /// How Teams knows these numbers.
        pub number_type: TeamsNumberType,
        /// The voice profile these numbers take when a change names none.
        pub default_profile_id: Option<Uuid>,
    }
}

/// Teams' `numberType` of a block's numbers: what `assignNumber` and `unassignNumber` send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum TeamsNumberType {
    /// Routed by the provider's SBC (the usual case here).
    #[default]
    DirectRouting,
    OperatorConnect,
    CallingPlan,
}

impl TeamsNumberType {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamsNumberType::DirectRouting => "directRouting",
            TeamsNumberType::OperatorConnect => "operatorConnect",
            TeamsNumberType::CallingPlan => "callingPlan",
        }
    }

    pub fn parse(s: &str) -> Option<TeamsNumberType> {
        [
            TeamsNumberType::DirectRouting,
            TeamsNumberType::OperatorConnect,
            TeamsNumberType::CallingPlan,
        ]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

/// The most numbers one load may hold.
pub const MAX_NUMBERS_PER_LOAD: usize = 10_000;

dto! {
    /// Load numbers: a contiguous range (`start` and `count`) or a list (`numbers`).
    #[serde(deny_unknown_fields)]
    pub struct NewNumberBlock {
        /// First number of a contiguous range, in E.164 (`+14255550100`), valid in its
        /// country's numbering plan.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_length = 40, pattern = "^[ \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*\\+[1-9][0-9]{1,14}[ \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub start: Option<String>,
        /// How many numbers the range holds, from `start` upwards (1 to 10,000).
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
        pub count: Option<u32>,
        /// 1 to 10,000 individual numbers, in E.164.
        #[serde(
            default,
            deserialize_with = "crate::bounded::optional_list::<_, _, MAX_NUMBERS_PER_LOAD>"
        )]
        #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10000))]
        pub numbers: Option<Vec<String>>,
        /// At most 100 characters once the spaces around it are trimmed, none of them a control
        /// character.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub label: Option<String>,
        /// At most 100 characters once the spaces around it are trimmed, none of them a control
        /// character.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(pattern = "^[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*[^\\u0000-\\u001f\\u007f-\\u009f]{0,100}[\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"))]
        pub location: Option<String>,
        /// How Teams knows these numbers; `directRouting` when left out.
        #[serde(default)]
        pub number_type: Option<TeamsNumberType>,
    }
}

dto! {
    /// One input row (or list entry) that could not be loaded.
    pub struct RejectedRow {
        /// The CSV line (1 = header) or the list position (1-based).
        pub line: u32,
        pub value: String,
        pub problem: String,
    }
}

dto! {
    /// What a load did.
    pub struct LoadedNumbers {
        /// The new block; absent when nothing was loaded.
        pub block: Option<NumberBlock>,
        pub loaded: u32,
        /// Rows left out (only with `on_error=skip`; otherwise any bad row refuses the load):
        /// the first 100 by line.
        #[cfg_attr(feature = "openapi", schema(max_items = 100))]
        pub rejected: Vec<RejectedRow>,
        /// How many rows were left out in all (`rejected` lists at most 100 of them).
        #[serde(default)]
        pub rejected_count: u32,
    }
}

/// What a capacity group gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CapacityScope {
    Block,
    Country,
    Location,
}

dto! {
    /// Counts by status and the outlook for one block, country or location.
    pub struct CapacityGroup {
        pub scope: CapacityScope,
        /// The block id, country code, or location name.
        pub key: String,
        pub label: String,
        pub total: u64,
        pub available: u64,
        pub reserved: u64,
        pub assigned: u64,
        pub aging: u64,
        /// (assigned + reserved) / total, 0 to 1.
        pub utilisation: f64,
        /// Numbers assigned in the last 30 days.
        pub assigned_last_30_days: u64,
        /// Days until no number is available at the last 30 days' rate; `null` when that rate
        /// is zero.
        pub days_until_exhausted: Option<f64>,
        /// Available numbers are below the account's threshold.
        pub low_stock: bool,
    }
}

dto! {
    /// The inventory's capacity.
    pub struct Capacity {
        /// A group is low on stock when fewer numbers than this are available.
        pub low_stock_threshold: u64,
        pub blocks: Vec<CapacityGroup>,
        pub countries: Vec<CapacityGroup>,
        pub locations: Vec<CapacityGroup>,
    }
}
