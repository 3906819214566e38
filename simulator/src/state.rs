//! The simulated world: tenants with their directory users, our service principal, directory role
//! assignments, Teams telephone numbers and number operations. Held behind one lock in `Simulator`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const PRIVILEGED_ROLE_ADMINISTRATOR: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
pub const TEAMS_COMMUNICATIONS_ADMINISTRATOR: &str = "baf37b3a-610e-45da-9e62-d9d1e5e8914b";
pub const TEAMS_ADMINISTRATOR: &str = "69091246-20e8-4a56-aa4d-066075b2a7a8";
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// The tenant id of every personal Microsoft account (consumer "tenant"); a portal must refuse it.
pub const PERSONAL_ACCOUNTS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
pub const PERSONAL_ACCOUNTS_TENANT_NAME: &str = "Microsoft Accounts";
/// The identity provider Microsoft names for personal accounts (e.g. in AADSTS50020).
pub const PERSONAL_ACCOUNTS_DOMAIN: &str = "live.com";
/// The seeded personal account.
pub const PERSONAL_USER_UPN: &str = "alex.personal@outlook.com";

/// Microsoft Teams Phone Standard.
pub const TEAMS_PHONE_SKU: &str = "e43b5b99-8dfb-405f-9987-dc307f34bcbd";
/// Office 365 E5.
pub const E5_SKU: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";
/// Office 365 E3.
pub const E3_SKU: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

/// Directory role templates the simulator knows (template id, display name).
pub const ROLE_TEMPLATES: [(&str, &str); 5] = [
    (GLOBAL_ADMINISTRATOR, "Global Administrator"),
    (
        PRIVILEGED_ROLE_ADMINISTRATOR,
        "Privileged Role Administrator",
    ),
    (
        TEAMS_COMMUNICATIONS_ADMINISTRATOR,
        "Teams Communications Administrator",
    ),
    (TEAMS_ADMINISTRATOR, "Teams Administrator"),
    (USER_ADMINISTRATOR, "User Administrator"),
];

pub fn role_name(template_id: &str) -> Option<&'static str> {
    ROLE_TEMPLATES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(template_id))
        .map(|(_, name)| *name)
}

/// Roles allowed to grant tenant-wide admin consent and to assign directory roles.
pub fn can_grant_consent(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| r == GLOBAL_ADMINISTRATOR || r == PRIVILEGED_ROLE_ADMINISTRATOR)
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub usage_location: Option<&'static str>,
    pub account_enabled: bool,
    pub licenses: Vec<&'static str>,
    pub enterprise_voice: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

impl User {
    pub fn has_teams_phone(&self) -> bool {
        self.licenses.contains(&TEAMS_PHONE_SKU)
    }
}

#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    /// Application permissions granted at admin consent.
    pub roles: Vec<String>,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct RoleAssignment {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberType {
    DirectRouting,
    CallingPlan,
    OperatorConnect,
}

impl NumberType {
    pub fn parse(s: &str) -> Option<NumberType> {
        match s {
            "directRouting" => Some(NumberType::DirectRouting),
            "callingPlan" => Some(NumberType::CallingPlan),
            "operatorConnect" => Some(NumberType::OperatorConnect),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::DirectRouting => "directRouting",
            NumberType::CallingPlan => "callingPlan",
            NumberType::OperatorConnect => "operatorConnect",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NumberAssignment {
    pub id: String,
    pub telephone_number: String,
    pub number_type: NumberType,
    /// The user id, or None when unassigned (only Calling Plan / Operator Connect numbers stay
    /// in Teams unassigned; Direct Routing numbers exist in Teams only while assigned).
    pub assignment_target_id: Option<String>,
    pub assignment_category: String,
    pub location_id: Option<String>,
    pub iso_country_code: Option<String>,
}

#[derive(Debug, Clone)]
pub enum OperationKind {
    Assign {
        telephone_number: String,
        target: String,
        number_type: NumberType,
        category: String,
        location_id: Option<String>,
    },
    Unassign {
        telephone_number: String,
    },
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub created: DateTime<Utc>,
    pub started: Instant,
    pub kind: OperationKind,
    /// Set when the operation completes: Ok, or the statusDetail of the failure.
    pub outcome: Option<Result<(), String>>,
}

impl Operation {
    pub fn status(&self, now: Instant, delay: Duration) -> &'static str {
        match &self.outcome {
            Some(Ok(())) => "succeeded",
            Some(Err(_)) => "failed",
            None if now.duration_since(self.started) < delay / 2 => "notStarted",
            None => "running",
        }
    }
}

pub struct Tenant {
    pub id: String,
    pub name: String,
    pub domain: String,
    /// The personal Microsoft accounts "tenant" (`PERSONAL_ACCOUNTS_TENANT_ID`): its users sign
    /// in, but nobody in it can grant admin consent and the control API does not consent for it.
    pub personal: bool,
    pub country: &'static str,
    pub created: DateTime<Utc>,
    /// In creation order; paging is by offset into this vector.
    pub users: Vec<User>,
    pub by_id: HashMap<String, usize>,
    /// Lower-cased UPN -> index.
    pub by_upn: HashMap<String, usize>,
    pub service_principal: Option<ServicePrincipal>,
    pub role_assignments: Vec<RoleAssignment>,
    pub numbers: Vec<NumberAssignment>,
    pub operations: HashMap<String, Operation>,
    /// Ids of operations not completed yet, oldest first.
    pub pending: Vec<String>,
}

impl Tenant {
    pub fn user(&self, id_or_upn: &str) -> Option<&User> {
        self.user_index(id_or_upn).map(|i| &self.users[i])
    }

    pub fn user_index(&self, id_or_upn: &str) -> Option<usize> {
        self.by_id
            .get(&id_or_upn.to_ascii_lowercase())
            .or_else(|| self.by_upn.get(&id_or_upn.to_ascii_lowercase()))
            .copied()
    }

    pub fn push_user(&mut self, user: User) {
        let i = self.users.len();
        self.by_id.insert(user.id.clone(), i);
        self.by_upn.insert(user.upn.to_ascii_lowercase(), i);
        self.users.push(user);
    }

    /// Directory role template ids assigned to a principal (user or service principal).
    pub fn roles_of(&self, principal_id: &str) -> Vec<String> {
        self.role_assignments
            .iter()
            .filter(|a| a.principal_id == principal_id)
            .map(|a| a.role_definition_id.clone())
            .collect()
    }

    pub fn assign_role(&mut self, principal_id: &str, role: &str) -> RoleAssignment {
        if let Some(a) = self
            .role_assignments
            .iter()
            .find(|a| a.principal_id == principal_id && a.role_definition_id == role)
        {
            return a.clone();
        }
        let assignment = RoleAssignment {
            id: new_assignment_id(),
            principal_id: principal_id.to_string(),
            role_definition_id: role.to_string(),
        };
        self.role_assignments.push(assignment.clone());
        assignment
    }

    pub fn remove_role(&mut self, principal_id: &str, role: &str) -> bool {
        let before = self.role_assignments.len();
        self.role_assignments
            .retain(|a| !(a.principal_id == principal_id && a.role_definition_id == role));
        before != self.role_assignments.len()
    }

    /// Creates our service principal (admin consent), or keeps the existing one (re-consent).
    pub fn consent(&mut self, app_id: &str, display_name: &str, permissions: &[String]) {
        match &mut self.service_principal {
            Some(sp) => {
                for p in permissions {
                    if !sp.roles.contains(p) {
                        sp.roles.push(p.clone());
                    }
                }
            }
            None => {
                self.service_principal = Some(ServicePrincipal {
                    id: Uuid::new_v4().to_string(),
                    app_id: app_id.to_string(),
                    display_name: display_name.to_string(),
                    roles: permissions.to_vec(),
                    created: Utc::now(),
                });
            }
        }
    }

    /// Sets the granted application permissions to exactly `permissions` (the control API's
    /// partial grant: a tenant that consented to an older, shorter list), creating our service
    /// principal if there is none.
    pub fn set_permissions(&mut self, app_id: &str, display_name: &str, permissions: &[String]) {
        match &mut self.service_principal {
            Some(sp) => sp.roles = permissions.to_vec(),
            None => self.consent(app_id, display_name, permissions),
        }
    }

    /// Revokes consent: the service principal and its role assignments disappear.
    pub fn revoke(&mut self) {
        if let Some(sp) = self.service_principal.take() {
            self.role_assignments.retain(|a| a.principal_id != sp.id);
        }
    }

    pub fn numbers_of<'a>(
        &'a self,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a NumberAssignment> {
        self.numbers
            .iter()
            .filter(move |n| n.assignment_target_id.as_deref() == Some(user_id))
    }

    /// Completes the operations whose time has come, applying their effects in order.
    pub fn settle(&mut self, now: Instant, delay: Duration) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        for id in pending {
            let Some(op) = self.operations.get(&id) else {
                continue;
            };
            if now.duration_since(op.started) < delay {
                self.pending.push(id);
                continue;
            }
            let kind = op.kind.clone();
            let outcome = self.apply(kind);
            if let Some(op) = self.operations.get_mut(&id) {
                op.outcome = Some(outcome);
            }
        }
    }

    fn apply(&mut self, kind: OperationKind) -> Result<(), String> {
        match kind {
            OperationKind::Assign {
                telephone_number,
                target,
                number_type,
                category,
                location_id,
            } => self.apply_assign(telephone_number, target, number_type, category, location_id),
            OperationKind::Unassign { telephone_number } => {
                let Some(i) = self
                    .numbers
                    .iter()
                    .position(|n| n.telephone_number == telephone_number)
                    .filter(|&i| self.numbers[i].assignment_target_id.is_some())
                else {
                    return Err(format!(
                        "The telephone number {telephone_number} is not assigned to a user."
                    ));
                };
                self.release(i);
                Ok(())
            }
        }
    }

    fn apply_assign(
        &mut self,
        telephone_number: String,
        target: String,
        number_type: NumberType,
        category: String,
        location_id: Option<String>,
    ) -> Result<(), String> {
        let Some(ui) = self.by_id.get(&target).copied() else {
            return Err(format!("The user {target} was not found in the tenant."));
        };
        let user = &self.users[ui];
        if !user.has_teams_phone() {
            return Err(format!(
                "The user {} is not licensed for Teams Phone (Microsoft Teams Phone Standard).",
                user.upn
            ));
        }
        let usage_location = user.usage_location;
        let existing = self
            .numbers
            .iter()
            .position(|n| n.telephone_number == telephone_number);
        if let Some(i) = existing {
            let n = &self.numbers[i];
            if let Some(other) = &n.assignment_target_id {
                if *other != target {
                    return Err(format!(
                        "The telephone number {telephone_number} is already assigned to another user."
                    ));
                }
            }
            if n.number_type != number_type {
                return Err(format!(
                    "The telephone number {telephone_number} is a {} number, not {}.",
                    n.number_type.as_str(),
                    number_type.as_str()
                ));
            }
        } else if number_type != NumberType::DirectRouting {
            return Err(format!(
                "The telephone number {telephone_number} was not found in the tenant's telephone number inventory."
            ));
        }
        // A user has one number per category: the new one replaces the previous one.
        while let Some(i) = self.numbers.iter().position(|n| {
            n.assignment_target_id.as_deref() == Some(target.as_str())
                && n.assignment_category == category
                && n.telephone_number != telephone_number
        }) {
            self.release(i);
        }
        let iso = country_of_number(&telephone_number)
            .or(usage_location)
            .map(str::to_string);
        match self
            .numbers
            .iter_mut()
            .find(|n| n.telephone_number == telephone_number)
        {
            Some(n) => {
                n.assignment_target_id = Some(target.clone());
                n.assignment_category = category;
                if location_id.is_some() {
                    n.location_id = location_id;
                }
            }
            None => self.numbers.push(NumberAssignment {
                id: Uuid::new_v4().to_string(),
                telephone_number,
                number_type,
                assignment_target_id: Some(target.clone()),
                assignment_category: category,
                location_id,
                iso_country_code: iso,
            }),
        }
        let user = &mut self.users[ui];
        user.enterprise_voice = true;
        user.modified = Utc::now();
        Ok(())
    }

    /// Unassigns number `i`: a Direct Routing number leaves Teams, others return to inventory.
    fn release(&mut self, i: usize) {
        if let Some(ui) = self.numbers[i]
            .assignment_target_id
            .as_ref()
            .and_then(|t| self.by_id.get(t).copied())
        {
            self.users[ui].modified = Utc::now();
        }
        if self.numbers[i].number_type == NumberType::DirectRouting {
            self.numbers.remove(i);
        } else {
            self.numbers[i].assignment_target_id = None;
        }
    }
}

#[derive(Default)]
pub struct State {
    pub tenants: Vec<Tenant>,
}

impl State {
    /// By id (GUID, any case) or verified domain.
    pub fn tenant(&self, id_or_domain: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|t| matches(t, id_or_domain))
    }

    pub fn tenant_mut(&mut self, id_or_domain: &str) -> Option<&mut Tenant> {
        self.tenants.iter_mut().find(|t| matches(t, id_or_domain))
    }

    /// A user by UPN (or object id) in any tenant: the tenant named by `prefer` is searched
    /// first (UPNs are unique across the simulated world, as each tenant has its own domain).
    pub fn find_user(&self, upn: &str, prefer: Option<&str>) -> Option<(&Tenant, &User)> {
        let preferred = prefer
            .and_then(|id| self.tenant(id))
            .and_then(|t| t.user(upn).map(|u| (t, u)));
        preferred.or_else(|| {
            self.tenants
                .iter()
                .find_map(|t| t.user(upn).map(|u| (t, u)))
        })
    }
}

fn matches(t: &Tenant, id_or_domain: &str) -> bool {
    t.id.eq_ignore_ascii_case(id_or_domain) || t.domain.eq_ignore_ascii_case(id_or_domain)
}

/// ISO country of an E.164 number, for the few country codes the seed uses.
pub fn country_of_number(number: &str) -> Option<&'static str> {
    const CODES: [(&str, &str); 5] = [
        ("+1", "US"),
        ("+44", "GB"),
        ("+49", "DE"),
        ("+33", "FR"),
        ("+61", "AU"),
    ];
    CODES
        .iter()
        .find(|(prefix, _)| number.starts_with(prefix))
        .map(|(_, c)| *c)
}

/// Role assignment ids look like Graph's: base64url, 43 characters.
fn new_assignment_id() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
