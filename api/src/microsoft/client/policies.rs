//! Teams voice policies (TELEPHONY section 8): a policy's id by its name, and assigning or
//! removing a user's policy of a type. All three need `TeamsPolicyUserAssign.ReadWrite.All`;
//! a missing one answers 403 (`forbidden`, TELEPHONY correction 1).
//!
//! Which policy types Graph accepts is undocumented: a type it refuses answers 400, which the
//! caller sees as `MsError::Graph { status: 400, .. }` with Microsoft's message.

use futures_util::TryStreamExt as _;
use serde::Serialize;
use url::Url;

use super::{
    endpoint_url,
    wire::{Page, PolicyIdentifier, UserConfiguration},
    MicrosoftClient, MsError, PolicyType,
};

const POLICY: [&str; 4] = ["v1.0", "admin", "teams", "policy"];

/// One item of `userAssignments/assign` (`policy_id`) or `/unassign` (without it).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserAssignment<'a> {
    user_id: &'a str,
    policy_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_id: Option<&'a str>,
}

/// `{"value":[…]}`, the body of both calls.
#[derive(Serialize)]
struct Assignments<'a> {
    value: [UserAssignment<'a>; 1],
}

impl MicrosoftClient {
    /// `GET /v1.0/admin/teams/policy/getPolicyId(type='{t}',name='{n}')`: the id of the
    /// tenant's policy of that type and name, `None` when Teams has none (an empty `value`, or
    /// a 404).
    pub async fn policy_id(
        &self,
        tenant: &str,
        policy_type: PolicyType,
        name: &str,
    ) -> Result<Option<String>, MsError> {
        let function = format!(
            "getPolicyId(type='{}',name='{}')",
            odata_literal(policy_type.as_str()),
            odata_literal(name)
        );
        let url = self.policy_url(&[&function]);
        match self
            .graph_get::<Page<PolicyIdentifier>>(tenant, "policy_id", url)
            .await
        {
            // Teams may name it with its tag (`Tag:US-Route`): the id is what matters.
            Ok(page) => Ok(page
                .value
                .into_iter()
                .map(|p| p.policy_id)
                .find(|id| !id.trim().is_empty())),
            Err(MsError::Graph { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /v1.0/admin/teams/policy/userAssignments/assign`: gives the user the policy
    /// (204). Teams applies it with a delay: read `userConfigurations` to see it in effect.
    pub async fn assign_policy(
        &self,
        tenant: &str,
        user_id: &str,
        policy_type: PolicyType,
        policy_id: &str,
    ) -> Result<(), MsError> {
        let body = Assignments {
            value: [UserAssignment {
                user_id,
                policy_type: policy_type.as_str(),
                policy_id: Some(policy_id),
            }],
        };
        let url = self.policy_url(&["userAssignments", "assign"]);
        self.graph_post_no_content(tenant, "assign_policy", url, &body)
            .await
    }

    /// `POST /v1.0/admin/teams/policy/userAssignments/unassign`: removes the user's direct
    /// policy of that type (204); what applies then is a group's, else the Global one.
    pub async fn unassign_policy(
        &self,
        tenant: &str,
        user_id: &str,
        policy_type: PolicyType,
    ) -> Result<(), MsError> {
        let body = Assignments {
            value: [UserAssignment {
                user_id,
                policy_type: policy_type.as_str(),
                policy_id: None,
            }],
        };
        let url = self.policy_url(&["userAssignments", "unassign"]);
        self.graph_post_no_content(tenant, "unassign_policy", url, &body)
            .await
    }

    /// Every user's Teams configuration, all pages collected (see
    /// [`MicrosoftClient::user_configurations`] for one page at a time).
    pub async fn all_user_configurations(
        &self,
        tenant: &str,
    ) -> Result<Vec<UserConfiguration>, MsError> {
        self.user_configurations(tenant).try_concat().await
    }

    fn policy_url(&self, tail: &[&str]) -> Url {
        let mut segments = POLICY.to_vec();
        segments.extend_from_slice(tail);
        endpoint_url(&self.inner.graph, &segments)
    }

    /// One POST whose success carries nothing worth reading (204, or any 2xx).
    async fn graph_post_no_content<B: Serialize + Sync>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: Url,
        body: &B,
    ) -> Result<(), MsError> {
        let deadline = self.inner.caller.deadline();
        let call = async {
            self.graph_send(tenant, endpoint, deadline, |http| {
                http.post(url.clone()).json(body)
            })
            .await
            .map(|_| ())
        };
        self.inner
            .caller
            .run(endpoint, tenant, deadline, call)
            .await
    }
}

/// A string inside an OData literal: a quote is doubled.
fn odata_literal(value: &str) -> String {
    value.replace('\'', "''")
}
