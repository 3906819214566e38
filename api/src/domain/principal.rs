//! Who is calling, and what their role lets them do.

use shared::{
    auth::{AccountSummary, Me, PrincipalKind},
    role::Role,
};
use uuid::Uuid;

use super::ids::{AccountId, UserId};
use crate::error::ApiError;

/// An authenticated caller: a portal user or an API token, always of exactly one account.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The portal user, or the API token.
    pub id: UserId,
    /// The user's email, or the token's name.
    pub name: String,
    pub kind: PrincipalKind,
    pub role: Role,
    pub account_id: AccountId,
    pub account_name: String,
    /// The session a signed-in person called with; `None` for an API token.
    pub session_id: Option<Uuid>,
}

/// The lesser of two roles: what an API token may do, given its own role and its creator's.
pub fn at_most(role: Role, ceiling: Role) -> Role {
    let rank = |role: Role| match role {
        Role::Viewer => 0,
        Role::Staff => 1,
        Role::Admin => 2,
    };
    if rank(role) <= rank(ceiling) {
        role
    } else {
        ceiling
    }
}

impl Principal {
    /// Admins only: members, API tokens, disconnecting the tenant.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Staff | Role::Viewer => Err(ApiError::Forbidden(
                "Only an admin of your account can do this.".to_owned(),
            )),
        }
    }

    /// Admins and staff: changes to phone service.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Staff => Ok(()),
            Role::Viewer => Err(ApiError::Forbidden(
                "Viewers can look but not change anything.".to_owned(),
            )),
        }
    }

    /// Managing members and API tokens: an admin, and a person signed in with a password.
    /// An API token, even an admin's, cannot mint people or tokens, nor remove anyone: a
    /// leaked token must not be able to take the account over.
    pub fn require_admin_person(&self) -> Result<(), ApiError> {
        if self.kind == PrincipalKind::ApiToken {
            return Err(ApiError::Forbidden(
                "Managing members and API tokens needs a person signed in to the portal; \
                 API tokens cannot do it, whatever their role."
                    .to_owned(),
            ));
        }
        self.require_admin()
    }

    /// Only a person signed in with a password (not an API token).
    pub fn require_user(&self) -> Result<(), ApiError> {
        match self.kind {
            PrincipalKind::User => Ok(()),
            PrincipalKind::ApiToken => Err(ApiError::Forbidden(
                "This needs a signed-in user, not an API token.".to_owned(),
            )),
        }
    }

    pub fn me(&self) -> Me {
        Me {
            id: self.id.uuid(),
            email: self.name.clone(),
            role: self.role,
            kind: self.kind,
            account: AccountSummary {
                id: self.account_id.uuid(),
                name: self.account_name.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_acts_above_its_creator() {
        use Role::{Admin, Staff, Viewer};
        for (token, creator, acts) in [
            (Admin, Admin, Admin),
            (Admin, Staff, Staff),
            (Admin, Viewer, Viewer),
            (Staff, Admin, Staff),
            (Staff, Viewer, Viewer),
            (Viewer, Admin, Viewer),
        ] {
            assert_eq!(at_most(token, creator), acts, "{token} made by {creator}");
        }
    }
}
