//! Graph's JSON, as CONTRACT section 4 describes it (camelCase on the wire). Enumerations
//! keep values they do not know (`Other`) rather than failing a whole page on them.

use serde::{Deserialize, Deserializer, Serialize};
use shared::voice_profiles::PolicyType;

/// `findTenantInformationByTenantId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInformation {
    pub tenant_id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub display_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub default_domain_name: String,
    #[serde(default)]
    pub federation_brand_name: Option<String>,
}

/// `GET /v1.0/organization` (the first and only entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub display_name: String,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub verified_domains: Vec<VerifiedDomain>,
    #[serde(default)]
    pub country_letter_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    pub name: String,
    #[serde(default)]
    pub is_default: Option<bool>,
    #[serde(default)]
    pub is_initial: Option<bool>,
    #[serde(default)]
    pub capabilities: Option<String>,
    #[serde(default, rename = "type")]
    pub domain_type: Option<String>,
}

/// A directory user, with the `$select` the client asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphUser {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub user_principal_name: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub display_name: String,
    #[serde(default)]
    pub usage_location: Option<String>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub assigned_licenses: Vec<AssignedLicense>,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub business_phones: Vec<String>,
    /// The service plans the user's licences bring (returned only on `$select`).
    #[serde(default, deserialize_with = "null_as_vec")]
    pub assigned_plans: Vec<AssignedPlan>,
}

impl GraphUser {
    /// Whether the user holds a usable Teams Phone (Phone System, MCOEV) plan: enabled, or in
    /// its grace period (`Warning`). TELEPHONY section 10.
    pub fn has_teams_phone(&self) -> bool {
        self.assigned_plans
            .iter()
            .any(|plan| plan.is_teams_phone() && plan.is_usable())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    pub sku_id: String,
}

/// The service plan id of Phone System (MCOEV), the Teams Phone capability.
pub(crate) const TEAMS_PHONE_PLAN_ID: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";

/// One entry of a user's `assignedPlans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedPlan {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service_plan_id: String,
    /// `Enabled`, `Warning` (grace period), `Suspended`, `LockedOut` or `Deleted`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub capability_status: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub service: String,
}

impl AssignedPlan {
    /// Phone System: its service plan id, or a service named `MCOEV…`.
    pub fn is_teams_phone(&self) -> bool {
        self.service_plan_id
            .trim()
            .eq_ignore_ascii_case(TEAMS_PHONE_PLAN_ID)
            || self
                .service
                .get(..5)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("MCOEV"))
    }

    /// `Enabled`, or `Warning` (a grace period: the plan still works).
    pub fn is_usable(&self) -> bool {
        let status = self.capability_status.trim();
        status.eq_ignore_ascii_case("Enabled") || status.eq_ignore_ascii_case("Warning")
    }
}

/// One page of a `users/delta` round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeltaPage {
    /// Users created, changed or restored (with the selected properties).
    pub users: Vec<GraphUser>,
    /// Ids of users deleted (soft or for good): entries with `@removed`.
    pub removed: Vec<String>,
    /// The URL of the next round, on the last page of a round only: store it whole.
    pub delta_link: Option<String>,
}

/// A `users/delta` answer as it comes.
#[derive(Deserialize)]
pub(crate) struct DeltaResponse {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<DeltaEntry>,
    #[serde(default, rename = "@odata.nextLink")]
    pub(crate) next_link: Option<String>,
    #[serde(default, rename = "@odata.deltaLink")]
    pub(crate) delta_link: Option<String>,
}

/// A user, or the id of a removed one (`{"id":…,"@removed":{"reason":…}}`).
#[derive(Deserialize)]
pub(crate) struct DeltaEntry {
    #[serde(flatten)]
    pub(crate) user: GraphUser,
    #[serde(default, rename = "@removed")]
    pub(crate) removed: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NumberType {
    DirectRouting,
    CallingPlan,
    OperatorConnect,
    #[serde(untagged)]
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ActivationState {
    Activated,
    AssignmentPending,
    AssignmentFailed,
    UpdatePending,
    UpdateFailed,
    #[serde(untagged)]
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentStatus {
    Unassigned,
    UserAssigned,
    ConferenceAssigned,
    VoiceApplicationAssigned,
    ThirdPartyAppAssigned,
    PolicyAssigned,
    #[serde(untagged)]
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AssignmentCategory {
    Primary,
    Private,
    Alternate,
    #[serde(untagged)]
    Other(String),
}

/// A telephone number of the tenant and what it is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberAssignment {
    #[serde(default)]
    pub id: Option<String>,
    /// E.164 with `+`.
    pub telephone_number: String,
    pub number_type: NumberType,
    #[serde(default)]
    pub activation_state: Option<ActivationState>,
    #[serde(default)]
    pub assignment_status: Option<AssignmentStatus>,
    #[serde(default)]
    pub assignment_category: Option<AssignmentCategory>,
    #[serde(default)]
    pub assignment_target_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub iso_country_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub number_source: Option<String>,
}

/// The body of `numberAssignments/assignNumber`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignNumber {
    pub telephone_number: String,
    /// The user's object id.
    pub assignment_target_id: String,
    pub number_type: NumberType,
    pub assignment_category: AssignmentCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UnassignNumber<'a> {
    pub(crate) telephone_number: &'a str,
    pub(crate) number_type: &'a NumberType,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateNumber<'a> {
    pub(crate) telephone_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location_id: Option<&'a str>,
}

/// A long-running number operation: where to poll it (the `Location` of the 202) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationRef {
    pub url: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OperationStatus {
    NotStarted,
    Running,
    Succeeded,
    Failed,
    Skipped,
    #[serde(untagged)]
    Other(String),
}

impl OperationStatus {
    /// Whether the operation will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OperationStatus::Succeeded | OperationStatus::Failed | OperationStatus::Skipped
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub id: String,
    #[serde(default)]
    pub created_date_time: Option<String>,
    pub status: OperationStatus,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub numbers: Vec<OperationNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationNumber {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub resource_location: String,
    pub status: OperationStatus,
    #[serde(default)]
    pub status_detail: Option<String>,
}

/// A user's Teams voice configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserConfiguration {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub user_principal_name: String,
    #[serde(default)]
    pub is_enterprise_voice_enabled: bool,
    #[serde(default, deserialize_with = "null_as_vec")]
    pub telephone_numbers: Vec<UserTelephoneNumber>,
    #[serde(default)]
    pub account_type: Option<String>,
    /// E.g. `Teams`, `CallingPlan`, `PhoneSystem` (a Teams Phone licence).
    #[serde(default, deserialize_with = "null_as_vec")]
    pub feature_types: Vec<String>,
    /// The policies in effect, direct or through a group; a type without an entry is the
    /// org-wide default (Global).
    #[serde(default, deserialize_with = "null_as_vec")]
    pub effective_policy_assignments: Vec<EffectivePolicyAssignment>,
}

impl UserConfiguration {
    /// The user's policy of that type in effect, `None` for the org-wide default (Global).
    pub fn effective_policy(&self, policy_type: PolicyType) -> Option<&PolicyAssignment> {
        self.effective_policy_assignments
            .iter()
            .find(|e| {
                e.policy_type
                    .trim()
                    .eq_ignore_ascii_case(policy_type.as_str())
            })
            .map(|e| &e.policy_assignment)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTelephoneNumber {
    pub telephone_number: String,
    #[serde(default)]
    pub assignment_category: Option<AssignmentCategory>,
}

/// A policy Teams has in effect on a user, by type (`userConfigurations`). A type without an
/// entry means the org-wide default (Global).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectivePolicyAssignment {
    /// E.g. `OnlineVoiceRoutingPolicy`; kept as Teams sends it (types the portal does not set
    /// appear too).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub policy_type: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub policy_assignment: PolicyAssignment,
}

/// Which policy, and how the user has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyAssignment {
    /// The policy's name (`US-Route`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// `direct`, or `group` (inherited through `group_id`).
    #[serde(default)]
    pub assignment_type: Option<String>,
    #[serde(default)]
    pub policy_id: Option<String>,
    #[serde(default)]
    pub group_id: Option<String>,
}

/// One item of `getPolicyId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PolicyIdentifier {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub(crate) policy_id: String,
}

/// `{"value":[...]}`, with `@odata.nextLink` while more pages follow.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    pub(crate) next_link: Option<String>,
}

/// A single entity, bare or wrapped in `{"value":{…}}` as Microsoft's samples show for
/// operations, number assignments and user configurations (TELEPHONY correction 5).
pub(crate) fn unwrap_single(body: serde_json::Value) -> serde_json::Value {
    match body {
        serde_json::Value::Object(mut map)
            if map.get("value").is_some_and(serde_json::Value::is_object) =>
        {
            map.remove("value").unwrap_or_default()
        }
        other => other,
    }
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn null_as_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
