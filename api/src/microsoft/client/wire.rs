//! Graph's JSON, as CONTRACT section 4 describes it (camelCase on the wire). Enumerations
//! keep values they do not know (`Other`) rather than failing a whole page on them.

use serde::{Deserialize, Deserializer, Serialize};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedLicense {
    pub sku_id: String,
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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTelephoneNumber {
    pub telephone_number: String,
    #[serde(default)]
    pub assignment_category: Option<AssignmentCategory>,
}

/// `{"value":[...]}`, with `@odata.nextLink` while more pages follow.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub(crate) value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    pub(crate) next_link: Option<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn null_as_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
