//! Who may call what (CONTRACT.md section 5): the bearer token is verified (RS256 with the
//! simulator's key, audience, expiry), faults are applied, then the call's requirement is checked
//! against the token: an app token's `roles` (application permissions) only; a delegated token's
//! `scp` plus, where Graph requires one, the user's directory role in `wids`.

use actix_web::{http::StatusCode, HttpRequest};

use super::errors::GraphError;
use crate::{
    faults::{self, Endpoint},
    keys::{AccessClaims, TokenProblem},
    state::{
        GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, TEAMS_ADMINISTRATOR,
        TEAMS_COMMUNICATIONS_ADMINISTRATOR,
    },
    Simulator,
};

/// What a Graph call needs.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    CrossTenantInformation,
    Users,
    Organization,
    ServicePrincipals,
    NumbersRead,
    NumbersWrite,
    UserConfigurations,
    /// getPolicyId, userAssignments/assign and /unassign.
    Policies,
    RoleAssignmentsRead,
    RoleAssignmentsWrite,
}

impl Need {
    /// Fault endpoints a call of this kind matches.
    fn fault_endpoints(self) -> &'static [Endpoint] {
        match self {
            Need::Users => &[Endpoint::Graph, Endpoint::Users],
            Need::NumbersRead | Need::NumbersWrite | Need::UserConfigurations => {
                &[Endpoint::Graph, Endpoint::Teams]
            }
            Need::Policies => &[Endpoint::Graph, Endpoint::Policies],
            _ => &[Endpoint::Graph],
        }
    }

    /// A Teams admin endpoint (`/admin/teams/*`): its 403 is `forbidden` naming the permissions.
    fn teams(self) -> bool {
        matches!(
            self,
            Need::NumbersRead | Need::NumbersWrite | Need::UserConfigurations | Need::Policies
        )
    }

    /// The permissions (application `roles`, or delegated `scp`) that allow the call: the
    /// least-privileged one from CONTRACT.md section 4 first, then the higher-privileged
    /// equivalents the call's Graph reference page documents.
    fn permissions(self) -> &'static [&'static str] {
        match self {
            // findTenantInformationByTenantId: no higher-privileged permission is documented.
            Need::CrossTenantInformation => &["CrossTenantInformation.ReadBasic.All"],
            // GET /users, /users/delta, /users/{id}.
            Need::Users => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            // GET /organization (least privileged Organization.Read.All; the contract's table
            // names Directory.Read.All, also accepted).
            Need::Organization => &[
                "Organization.Read.All",
                "Directory.Read.All",
                "Organization.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
            // GET /servicePrincipals(appId='..').
            Need::ServicePrincipals => &[
                "Application.Read.All",
                "Application.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            // numberAssignments list, operations (TELEPHONY.md section 1).
            Need::NumbersRead => &[
                "TeamsTelephoneNumber.Read.All",
                "TeamsTelephoneNumber.ReadWrite.All",
            ],
            // assignNumber / unassignNumber / updateNumber: no higher permission.
            Need::NumbersWrite => &["TeamsTelephoneNumber.ReadWrite.All"],
            // userConfigurations: no higher permission.
            Need::UserConfigurations => &["TeamsUserConfiguration.Read.All"],
            // Policy assignment and getPolicyId: no higher permission (TELEPHONY.md section 8).
            Need::Policies => &["TeamsPolicyUserAssign.ReadWrite.All"],
            Need::RoleAssignmentsRead => &[
                "RoleManagement.Read.Directory",
                "RoleManagement.ReadWrite.Directory",
                "RoleManagement.Read.All",
                "Directory.Read.All",
            ],
            Need::RoleAssignmentsWrite => &["RoleManagement.ReadWrite.Directory"],
        }
    }

    /// What the Teams back end's 403 lists (seen: the ReadWrite permission first).
    fn named_in_error(self) -> String {
        let mut names: Vec<&str> = self.permissions().to_vec();
        names.reverse();
        names.join(",")
    }
}

/// Graph authorizes app-only calls on application permissions only (CONTRACT.md section 5): a
/// directory role in `wids` opens nothing. Delegated calls need the delegated permission in
/// `scp`, and for the Teams admin and role-management endpoints the signed-in user's admin role.
pub fn allowed(claims: &AccessClaims, need: Need) -> bool {
    let has_wid = |ids: &[&str]| claims.wids.iter().any(|w| ids.contains(&w.as_str()));
    if claims.scp.is_none() {
        // An app token: `roles` only.
        return claims
            .roles
            .iter()
            .any(|r| need.permissions().contains(&r.as_str()));
    }
    if !claims.scopes().any(|s| need.permissions().contains(&s)) {
        return false;
    }
    match need {
        Need::CrossTenantInformation
        | Need::Users
        | Need::Organization
        | Need::ServicePrincipals => true,
        Need::NumbersRead | Need::NumbersWrite | Need::UserConfigurations | Need::Policies => {
            has_wid(&[
                TEAMS_COMMUNICATIONS_ADMINISTRATOR,
                TEAMS_ADMINISTRATOR,
                GLOBAL_ADMINISTRATOR,
            ])
        }
        // A signed-in admin acting through a delegated token.
        Need::RoleAssignmentsRead | Need::RoleAssignmentsWrite => {
            has_wid(&[GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR])
        }
    }
}

/// Authenticates and authorizes a Graph call; applies injected faults on the way.
pub async fn authorize(
    req: &HttpRequest,
    sim: &Simulator,
    need: Need,
) -> Result<AccessClaims, GraphError> {
    let token = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let verified = token.map(|t| sim.inner.key.verify(t));
    let tenant = match &verified {
        Some(Ok(claims)) => Some(claims.tid.as_str()),
        _ => None,
    };
    if let Some(f) = faults::intercept(sim, need.fault_endpoints(), tenant).await {
        return Err(GraphError::injected(req, f.status, f.retry_after));
    }
    let unauthenticated = |message: &str| {
        GraphError::new(
            req,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    };
    let claims = match verified {
        None => return Err(unauthenticated("Access token is empty.")),
        Some(Err(TokenProblem::Expired)) => {
            return Err(unauthenticated(
                "Lifetime validation failed, the token is expired.",
            ))
        }
        Some(Err(TokenProblem::Invalid)) => {
            return Err(unauthenticated(
                "Access token validation failure. Invalid audience or signature.",
            ))
        }
        Some(Ok(claims)) => claims,
    };
    if sim.read().tenant(&claims.tid).is_none() {
        return Err(unauthenticated(
            "Access token validation failure. Invalid tenant.",
        ));
    }
    if !allowed(&claims, need) {
        tracing::info!(tid = %claims.tid, oid = %claims.oid, ?need, "graph call denied");
        return Err(if need.teams() {
            GraphError::forbidden_teams(req, &need.named_in_error())
        } else {
            GraphError::denied(req)
        });
    }
    tracing::debug!(
        tid = %claims.tid,
        oid = %claims.oid,
        appid = ?claims.appid,
        idtyp = ?claims.idtyp,
        "graph call"
    );
    Ok(claims)
}
