//! Who may call what (CONTRACT.md section 5): the bearer token is verified (RS256 with the
//! simulator's key, audience, expiry), faults are applied, then the call's requirement is checked
//! against the token's `roles`, `wids` and `scp`.

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
            _ => &[Endpoint::Graph],
        }
    }

    /// Application permissions (`roles`) that allow the call on their own.
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Need::CrossTenantInformation => &["CrossTenantInformation.ReadBasic.All"],
            Need::Users => &[
                "User.Read.All",
                "User.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Need::Organization => &[
                "Organization.Read.All",
                "Organization.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Need::ServicePrincipals => &[
                "Application.Read.All",
                "Application.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Need::NumbersRead => &[
                "TeamsTelephoneNumber.Read.All",
                "TeamsTelephoneNumber.ReadWrite.All",
            ],
            Need::NumbersWrite => &["TeamsTelephoneNumber.ReadWrite.All"],
            Need::UserConfigurations => &["TeamsUserConfiguration.Read.All"],
            Need::RoleAssignmentsRead => &[
                "RoleManagement.Read.Directory",
                "RoleManagement.ReadWrite.Directory",
                "RoleManagement.Read.All",
                "Directory.Read.All",
            ],
            Need::RoleAssignmentsWrite => &["RoleManagement.ReadWrite.Directory"],
        }
    }
}

pub fn allowed(claims: &AccessClaims, need: Need) -> bool {
    let has_wid = |ids: &[&str]| claims.wids.iter().any(|w| ids.contains(&w.as_str()));
    let has_scope = |names: &[&str]| claims.scopes().any(|s| names.contains(&s));
    if claims
        .roles
        .iter()
        .any(|r| need.permissions().contains(&r.as_str()))
    {
        return true;
    }
    match need {
        Need::CrossTenantInformation => has_scope(need.permissions()),
        // The Teams admin back end authorizes on the directory role (the product's model).
        Need::Users
        | Need::Organization
        | Need::ServicePrincipals
        | Need::NumbersRead
        | Need::NumbersWrite
        | Need::UserConfigurations => has_wid(&[
            TEAMS_COMMUNICATIONS_ADMINISTRATOR,
            TEAMS_ADMINISTRATOR,
            GLOBAL_ADMINISTRATOR,
        ]),
        // A signed-in admin acting through a delegated token.
        Need::RoleAssignmentsRead | Need::RoleAssignmentsWrite => {
            has_wid(&[GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR])
                && has_scope(need.permissions())
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
        return Err(GraphError::denied(req));
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
