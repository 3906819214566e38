//! Which voice profile a change applies, and the record the change keeps on the user: its plan
//! (location, policies, number type) and, once read, the policies the user had before, so that
//! a failed step or a later removal can put them back.

use serde::{Deserialize, Serialize};
use shared::{
    directory::{PartState, ServicePart, ServicePartKind},
    voice_profiles::{PolicyType, VoiceProfile},
};
use uuid::Uuid;

use crate::{
    db::{self, DbConn},
    domain::{ids::AccountId, voice_profiles},
    error::ApiError,
};

/// A policy the change assigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedPolicy {
    pub policy_type: PolicyType,
    pub name: String,
    pub policy_id: String,
    /// Graph does not take this type (or the app may not assign policies yet): not sent.
    pub manual: bool,
    /// Why it is manual, for the user's part.
    #[serde(default)]
    pub note: Option<String>,
}

/// The user's own (direct) assignment of a type before the change; `None`: none, so the
/// org-wide default applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorPolicy {
    pub policy_type: PolicyType,
    pub policy_id: Option<String>,
}

/// What a change of a user's service keeps on the user (`directory_users.service_saga`) from
/// the reservation until the service is removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaRecord {
    pub profile_id: Option<String>,
    pub location_id: Option<String>,
    pub policies: Vec<PlannedPolicy>,
    /// Teams' numberType of the number (its block's).
    pub number_type: String,
    /// Recorded once, before the first policy is assigned (a run again after a crash must not
    /// take the portal's own assignment for the user's previous one).
    pub prior: Option<Vec<PriorPolicy>>,
    /// Set when a step failed and the change is being undone: the step and Microsoft's words.
    pub failure: Option<String>,
    /// The `unassignNumber` operation that undoes a number Teams had already assigned.
    pub undo_operation: Option<String>,
}

impl SagaRecord {
    pub fn parse(text: Option<&str>) -> SagaRecord {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The policies the portal sends to Teams.
    pub fn sent(&self) -> impl Iterator<Item = &PlannedPolicy> {
        self.policies.iter().filter(|p| !p.manual)
    }

    /// What the user had of `policy_type` before the change.
    pub fn prior_of(&self, policy_type: PolicyType) -> Option<&str> {
        self.prior
            .as_ref()?
            .iter()
            .find(|p| p.policy_type == policy_type)?
            .policy_id
            .as_deref()
    }

    /// The parts as asked for, none confirmed yet.
    pub fn pending_parts(&self, number: &str) -> Vec<ServicePart> {
        let mut parts = vec![part(ServicePartKind::Number, None, number)];
        if let Some(location) = &self.location_id {
            parts.push(part(ServicePartKind::EmergencyLocation, None, location));
        }
        for policy in &self.policies {
            let mut p = part(
                ServicePartKind::Policy,
                Some(policy.policy_type),
                &policy.name,
            );
            if policy.manual {
                p.state = PartState::NeedsManualAction;
                p.detail = policy.note.clone();
            }
            parts.push(p);
        }
        parts
    }
}

fn part(kind: ServicePartKind, policy_type: Option<PolicyType>, wanted: &str) -> ServicePart {
    ServicePart {
        kind,
        policy_type,
        wanted: wanted.to_owned(),
        reported: None,
        state: PartState::Pending,
        detail: None,
    }
}

/// The note a policy Graph refused carries.
pub fn manual_note(policy_type: PolicyType) -> String {
    format!(
        "Needs manual action: assign {} in the Teams admin center (Microsoft Graph does not \
         accept this policy type).",
        policy_type.as_str()
    )
}

/// The note a policy carries while the app lacks the permission to assign policies.
pub fn permission_note(policy_type: PolicyType) -> String {
    format!(
        "Not assigned: the app lacks TeamsPolicyUserAssign.ReadWrite.All. An admin can grant \
         admin consent again on the Tenant Connection page, or assign {} in the Teams admin \
         center.",
        policy_type.as_str()
    )
}

/// The profile a change names (of this account), else the account's default; `None` when the
/// change names none and the account has no default.
pub fn chosen_profile(
    conn: &mut DbConn,
    account: &AccountId,
    named: Option<Uuid>,
) -> Result<Option<VoiceProfile>, ApiError> {
    match named {
        Some(id) => voice_profiles::find(conn, account, id)?
            .map(Some)
            .ok_or_else(|| ApiError::not_found("voice profile")),
        None => voice_profiles::default_of_account(conn, account),
    }
}

/// The plan of a change that reserved `number`: the chosen profile, else the default profile
/// of the number's block; the number type is the block's.
pub fn plan(
    conn: &mut DbConn,
    account: &AccountId,
    chosen: Option<&VoiceProfile>,
    number: &str,
) -> Result<(Option<VoiceProfile>, SagaRecord), ApiError> {
    let block = db::numbers::block_of(conn, account, number)?;
    let profile = match (chosen, &block) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(block)) => voice_profiles::default_of_block(conn, account, &block.id)?,
        (None, None) => None,
    };
    let number_type = block
        .map(|b| b.number_type)
        .unwrap_or_else(|| "directRouting".to_owned());
    let record = SagaRecord {
        profile_id: profile.as_ref().map(|p| p.id.to_string()),
        location_id: profile
            .as_ref()
            .and_then(|p| p.emergency_location.as_ref())
            .map(|l| l.location_id.clone()),
        policies: profile
            .as_ref()
            .map(|p| {
                p.policies
                    .iter()
                    .map(|policy| PlannedPolicy {
                        policy_type: policy.policy_type,
                        name: policy.name.clone(),
                        policy_id: policy.policy_id.clone(),
                        manual: policy.manual,
                        note: policy.manual.then(|| manual_note(policy.policy_type)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        number_type,
        prior: None,
        failure: None,
        undo_operation: None,
    };
    Ok((profile, record))
}
