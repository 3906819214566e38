//! The simulated world: tenants with their directory users, our service principal, directory role
//! assignments, Teams telephone numbers and number operations. Held behind one lock in `Simulator`.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Bound,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::policies::TeamsPolicies;

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

/// Service plan MCOEV ("Phone System"), what Teams Phone licence detection reads (TELEPHONY.md
/// section 10).
pub const MCOEV_PLAN: &str = "4828c8ec-dc2e-4779-b502-87ac9ce28ab7";
/// Service plan TEAMS1 (Microsoft Teams), service `TeamspaceAPI`.
pub const TEAMS1_PLAN: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

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
    pub usage_location: Option<String>,
    pub account_enabled: bool,
    pub licenses: Vec<&'static str>,
    /// MCOEV is in E5's `disabledPlans` (an E5 user without Teams Phone).
    pub e5_phone_disabled: bool,
    /// When the licences were last set (the `assignedDateTime` of the assigned plans).
    pub licensed: DateTime<Utc>,
    pub enterprise_voice: bool,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    /// Creation order within the tenant, never reused: paging cursors name it, so a deletion
    /// between two pages neither skips nor repeats a user. Set by `Tenant::push_user`.
    pub ordinal: u64,
    /// The delta sequence of the user's last change; 0 for a user unchanged since the tenant
    /// was built.
    pub changed: u64,
}

impl User {
    /// Phone System (MCOEV) from Teams Phone Standard, or from E5 unless an admin disabled the
    /// plan there (TELEPHONY.md section 10: E5 includes it, E3 does not).
    pub fn has_teams_phone(&self) -> bool {
        self.licenses.contains(&TEAMS_PHONE_SKU)
            || (self.licenses.contains(&E5_SKU) && !self.e5_phone_disabled)
    }

    /// The service plans the user's licences carry, as (service, servicePlanId): `service` is
    /// the workload, `MicrosoftCommunicationsOnline` for MCOEV (TELEPHONY.md section 10), listed
    /// once however many licences carry it. `has_teams_phone`, userConfigurations'
    /// `featureTypes` and assignNumber agree with it.
    pub fn plans(&self) -> Vec<(&'static str, &'static str)> {
        let mut plans = Vec::new();
        if self.licenses.iter().any(|l| *l == E3_SKU || *l == E5_SKU) {
            plans.push(("TeamspaceAPI", TEAMS1_PLAN));
        }
        if self.has_teams_phone() {
            plans.push(("MicrosoftCommunicationsOnline", MCOEV_PLAN));
        }
        plans
    }

    /// The `disabledPlans` of one of the user's licences.
    pub fn disabled_plans(&self, sku: &str) -> Vec<&'static str> {
        if sku == E5_SKU && self.e5_phone_disabled {
            vec![MCOEV_PLAN]
        } else {
            Vec::new()
        }
    }

    /// Turns Teams Phone on or off: on adds the Teams Phone Standard licence (or re-enables
    /// MCOEV in E5); off removes that licence and disables MCOEV in E5 (as an admin does
    /// through `disabledPlans`).
    pub fn set_teams_phone(&mut self, on: bool) {
        let e5 = self.licenses.contains(&E5_SKU);
        if on {
            if e5 {
                self.e5_phone_disabled = false;
            } else if !self.licenses.contains(&TEAMS_PHONE_SKU) {
                self.licenses.push(TEAMS_PHONE_SKU);
            }
        } else {
            self.licenses.retain(|l| *l != TEAMS_PHONE_SKU);
            self.e5_phone_disabled = e5;
        }
    }
}

/// One entry of a tenant's change log.
#[derive(Debug, Clone)]
pub enum Change {
    /// The user (by id) changed; a delta round reports its current state.
    Updated(String),
    /// The user (by id) was deleted: a tombstone. `permanent`: gone for good (`@removed` reason
    /// `deleted`), else soft-deleted, restorable for 30 days (reason `changed`).
    Deleted { id: String, permanent: bool },
}

/// Users delta tracking: a monotonic sequence, each user's last change and each deletion indexed
/// by sequence, so a later round reads only the range after its token (O(log n + page)).
#[derive(Debug)]
pub struct ChangeLog {
    /// Random per tenant instance: a token of an earlier run of the simulator (same
    /// deterministic tenant id, a restarted sequence) is refused, not misread.
    pub epoch: u64,
    /// The sequence of the latest change (0: none since the tenant was built).
    pub seq: u64,
    /// Sequence -> change; a user appears once, at its latest change.
    pub log: BTreeMap<u64, Change>,
}

impl Default for ChangeLog {
    fn default() -> Self {
        ChangeLog {
            epoch: rand::random(),
            seq: 0,
            log: BTreeMap::new(),
        }
    }
}

impl ChangeLog {
    /// The changes after `after`, up to and including `upto`, in order.
    pub fn between(&self, after: u64, upto: u64) -> impl Iterator<Item = (&u64, &Change)> {
        let range = if after < upto {
            Some(
                self.log
                    .range((Bound::Excluded(after), Bound::Included(upto))),
            )
        } else {
            None
        };
        range.into_iter().flatten()
    }
}

/// Why a number cannot be assigned. `detail` is the Teams back end's message (TELEPHONY.md
/// section 5, seen through PowerShell), the failed operation's `statusDetail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignError {
    UserNotFound(String),
    NotLicensed {
        user_id: String,
        number_type: NumberType,
    },
    AssignedToOther(String),
    WrongType {
        telephone_number: String,
        actual: NumberType,
        wanted: NumberType,
    },
    NotInInventory {
        telephone_number: String,
        tenant_id: String,
    },
    /// A `locationId` that is not one of the tenant's LIS locations.
    UnknownLocation(String),
}

impl AssignError {
    pub fn detail(&self) -> String {
        match self {
            AssignError::UserNotFound(id) => format!("The user {id} was not found in the tenant."),
            AssignError::NotLicensed {
                user_id,
                number_type,
            } => format!(
                "User '{user_id}' lacks appropriate licenses to assign a '{}' number.",
                number_type.pascal()
            ),
            AssignError::AssignedToOther(n) => {
                format!("Telephone Number '{n}' has already been assigned to another user")
            }
            AssignError::WrongType {
                telephone_number,
                actual,
                wanted,
            } => format!(
                "The telephone number {telephone_number} is a {} number, not {}.",
                actual.as_str(),
                wanted.as_str()
            ),
            AssignError::NotInInventory {
                telephone_number,
                tenant_id,
            } => format!(
                "Telephone Number '{telephone_number}' is not found from tenant '{tenant_id}'"
            ),
            AssignError::UnknownLocation(id) => format!("Location '{id}' is not found."),
        }
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
    /// The Teams back end's spelling, as in its error messages.
    pub fn pascal(self) -> &'static str {
        match self {
            NumberType::DirectRouting => "DirectRouting",
            NumberType::CallingPlan => "CallingPlan",
            NumberType::OperatorConnect => "OperatorConnect",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NumberAssignment {
    pub id: String,
    pub telephone_number: String,
    pub number_type: NumberType,
    /// The user id, or None when unassigned. A number stays in the tenant's inventory after
    /// unassignment, Direct Routing ones included (TELEPHONY.md section 4).
    pub assignment_target_id: Option<String>,
    /// What holds the number (meaningful while assigned).
    pub target_kind: TargetKind,
    /// The category of the assignment (meaningful while assigned).
    pub assignment_category: String,
    pub location_id: Option<String>,
    pub iso_country_code: Option<String>,
    pub activation: Activation,
}

impl NumberAssignment {
    /// A number of the inventory, unassigned and activated.
    pub fn new(telephone_number: String, number_type: NumberType, iso: Option<String>) -> Self {
        NumberAssignment {
            id: number_id(&telephone_number),
            telephone_number,
            number_type,
            assignment_target_id: None,
            target_kind: TargetKind::User,
            assignment_category: "primary".into(),
            location_id: None,
            iso_country_code: iso,
            activation: Activation::Activated,
        }
    }

    /// `assignmentStatus`.
    pub fn assignment_status(&self) -> &'static str {
        match (&self.assignment_target_id, self.target_kind) {
            (None, _) => "unassigned",
            (Some(_), TargetKind::User) => "userAssigned",
            (Some(_), TargetKind::VoiceApplication) => "voiceApplicationAssigned",
            (Some(_), TargetKind::Conference) => "conferenceAssigned",
        }
    }
}

/// What a number is assigned to: a user, a resource account (auto attendant or call queue), or
/// an audio conferencing bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    User,
    VoiceApplication,
    Conference,
}

/// A number's `activationState` (the values the simulator produces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Activated,
    /// An assignNumber operation for it is under way.
    AssignmentPending,
    /// The last assignNumber operation for it failed.
    AssignmentFailed,
}

impl Activation {
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Activated => "activated",
            Activation::AssignmentPending => "assignmentPending",
            Activation::AssignmentFailed => "assignmentFailed",
        }
    }
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
        number_type: NumberType,
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
    /// In creation order (ascending `ordinal`); paging cursors name an ordinal.
    pub users: Vec<User>,
    pub by_id: HashMap<String, usize>,
    /// Lower-cased UPN -> index.
    pub by_upn: HashMap<String, usize>,
    /// The ordinal the next user gets.
    pub next_ordinal: u64,
    /// Users delta tracking.
    pub delta: ChangeLog,
    pub service_principal: Option<ServicePrincipal>,
    pub role_assignments: Vec<RoleAssignment>,
    /// Sorted by telephone number (the order Teams lists them in).
    pub numbers: Vec<NumberAssignment>,
    pub operations: HashMap<String, Operation>,
    /// Ids of operations not completed yet, oldest first.
    pub pending: Vec<String>,
    /// Voice policies, their assignments and LIS locations.
    pub policies: TeamsPolicies,
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

    /// Appends a user as built (seeding: no change is recorded), giving it the next ordinal.
    pub fn push_user(&mut self, mut user: User) -> usize {
        let i = self.users.len();
        user.ordinal = self.next_ordinal;
        self.next_ordinal += 1;
        self.by_id.insert(user.id.clone(), i);
        self.by_upn.insert(user.upn.to_ascii_lowercase(), i);
        self.users.push(user);
        i
    }

    /// Creates a user (a change for delta); returns its index.
    pub fn add_user(&mut self, user: User) -> usize {
        let i = self.push_user(user);
        self.touch(i);
        i
    }

    /// Records a change of user `i`: a new delta sequence, `modified` now.
    pub fn touch(&mut self, i: usize) {
        let Some(user) = self.users.get_mut(i) else {
            return;
        };
        self.delta.seq += 1;
        let seq = self.delta.seq;
        if user.changed != 0 {
            self.delta.log.remove(&user.changed);
        }
        user.changed = seq;
        user.modified = Utc::now();
        self.delta.log.insert(seq, Change::Updated(user.id.clone()));
    }

    /// Deletes user `i`: gone from Graph, its numbers unassigned (they stay in the inventory),
    /// its directory roles and policy assignments gone; delta reports it removed (`permanent`
    /// picks the reason). Restoring a soft-deleted user is not modelled. O(users) for the index
    /// fix-up.
    pub fn delete_user(&mut self, i: usize, permanent: bool) -> Option<User> {
        if i >= self.users.len() {
            return None;
        }
        let user = self.users.remove(i);
        self.by_id.remove(&user.id);
        self.by_upn.remove(&user.upn.to_ascii_lowercase());
        for (j, u) in self.users.iter().enumerate().skip(i) {
            self.by_id.insert(u.id.clone(), j);
            self.by_upn.insert(u.upn.to_ascii_lowercase(), j);
        }
        for n in &mut self.numbers {
            if n.assignment_target_id.as_deref() == Some(user.id.as_str()) {
                n.assignment_target_id = None;
            }
        }
        self.role_assignments.retain(|a| a.principal_id != user.id);
        self.policies.forget_user(&user.id);
        if user.changed != 0 {
            self.delta.log.remove(&user.changed);
        }
        self.delta.seq += 1;
        self.delta.log.insert(
            self.delta.seq,
            Change::Deleted {
                id: user.id.clone(),
                permanent,
            },
        );
        Some(user)
    }

    /// The users from ordinal `from` on, in creation order (a binary search).
    pub fn users_from(&self, from: u64) -> &[User] {
        let start = self.users.partition_point(|u| u.ordinal < from);
        &self.users[start..]
    }

    /// The index of the number in the (sorted) inventory.
    pub fn number_index(&self, telephone_number: &str) -> Option<usize> {
        self.numbers
            .binary_search_by(|n| n.telephone_number.as_str().cmp(telephone_number))
            .ok()
    }

    /// Adds a number to the inventory at its sorted place; returns its index.
    pub fn insert_number(&mut self, number: NumberAssignment) -> usize {
        match self
            .numbers
            .binary_search_by(|n| n.telephone_number.cmp(&number.telephone_number))
        {
            Ok(i) => {
                self.numbers[i] = number;
                i
            }
            Err(i) => {
                self.numbers.insert(i, number);
                i
            }
        }
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
        self.numbers.iter().filter(move |n| {
            n.target_kind == TargetKind::User && n.assignment_target_id.as_deref() == Some(user_id)
        })
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
            } => {
                let result = self.assign(
                    &telephone_number,
                    &target,
                    number_type,
                    &category,
                    location_id,
                );
                if result.is_err() {
                    // The number shows the failure, unless it is another holder's (whose
                    // assignment stands).
                    if let Some(n) = self
                        .number_index(&telephone_number)
                        .map(|i| &mut self.numbers[i])
                        .filter(|n| {
                            n.assignment_target_id
                                .as_deref()
                                .is_none_or(|t| t.eq_ignore_ascii_case(&target))
                        })
                    {
                        n.activation = Activation::AssignmentFailed;
                    }
                }
                result.map(|_| ()).map_err(|e| e.detail())
            }
            OperationKind::Unassign {
                telephone_number,
                number_type,
            } => {
                let Some(i) = self
                    .number_index(&telephone_number)
                    .filter(|&i| self.numbers[i].assignment_target_id.is_some())
                else {
                    return Err(format!(
                        "The telephone number {telephone_number} is not assigned to a user."
                    ));
                };
                // The numberType must be the number's own (UNCONFIRMED how Teams words it).
                let actual = self.numbers[i].number_type;
                if actual != number_type {
                    return Err(AssignError::WrongType {
                        telephone_number,
                        actual,
                        wanted: number_type,
                    }
                    .detail());
                }
                self.release(i);
                Ok(())
            }
        }
    }

    /// Assigns a number to a user now (an operation completing, or an admin in PowerShell):
    /// the user must be licensed for Teams Phone, the number free or already theirs; a Direct
    /// Routing number not in the inventory yet is added. The user's previous number of the same
    /// category is unassigned. Returns the number's index.
    pub fn assign(
        &mut self,
        telephone_number: &str,
        target: &str,
        number_type: NumberType,
        category: &str,
        location_id: Option<String>,
    ) -> Result<usize, AssignError> {
        let Some(ui) = self.by_id.get(&target.to_ascii_lowercase()).copied() else {
            return Err(AssignError::UserNotFound(target.to_string()));
        };
        let user = &self.users[ui];
        let target = user.id.clone();
        // An empty locationId sets none; an unknown one fails (TELEPHONY.md section 12: failed
        // operation or 400, UNCONFIRMED; the simulator fails the operation).
        let location_id = match location_id.filter(|l| !l.trim().is_empty()) {
            None => None,
            Some(l) => match self.policies.location(&l) {
                Some(found) => Some(found.id.clone()),
                None => return Err(AssignError::UnknownLocation(l)),
            },
        };
        if !user.has_teams_phone() {
            return Err(AssignError::NotLicensed {
                user_id: target,
                number_type,
            });
        }
        if let Some(i) = self.number_index(telephone_number) {
            let n = &self.numbers[i];
            if n.assignment_target_id
                .as_ref()
                .is_some_and(|other| *other != target || n.target_kind != TargetKind::User)
            {
                return Err(AssignError::AssignedToOther(telephone_number.to_string()));
            }
            if n.number_type != number_type {
                return Err(AssignError::WrongType {
                    telephone_number: telephone_number.to_string(),
                    actual: n.number_type,
                    wanted: number_type,
                });
            }
        } else if number_type != NumberType::DirectRouting {
            return Err(AssignError::NotInInventory {
                telephone_number: telephone_number.to_string(),
                tenant_id: self.id.clone(),
            });
        }
        // A user has one number per category: the new one replaces the previous one.
        while let Some(i) = self.numbers.iter().position(|n| {
            n.assignment_target_id.as_deref() == Some(target.as_str())
                && n.assignment_category == category
                && n.telephone_number != telephone_number
        }) {
            self.release(i);
        }
        let i = match self.number_index(telephone_number) {
            Some(i) => {
                let n = &mut self.numbers[i];
                n.assignment_target_id = Some(target.clone());
                n.target_kind = TargetKind::User;
                n.assignment_category = category.to_string();
                n.activation = Activation::Activated;
                if location_id.is_some() {
                    n.location_id = location_id;
                }
                i
            }
            None => {
                let iso = country_of_number(telephone_number)
                    .map(str::to_string)
                    .or_else(|| self.users[ui].usage_location.clone());
                let mut n = NumberAssignment::new(telephone_number.to_string(), number_type, iso);
                n.assignment_target_id = Some(target.clone());
                n.assignment_category = category.to_string();
                n.location_id = location_id;
                self.insert_number(n)
            }
        };
        self.users[ui].enterprise_voice = true;
        self.touch(ui);
        Ok(i)
    }

    /// An assignNumber operation for the number started: a number of the inventory that is free
    /// or already the target's shows `assignmentPending` until the operation completes.
    pub fn mark_assignment_pending(&mut self, telephone_number: &str, target: &str) {
        if let Some(i) = self.number_index(telephone_number) {
            let n = &mut self.numbers[i];
            let free_or_theirs = match &n.assignment_target_id {
                None => true,
                Some(t) => n.target_kind == TargetKind::User && t.eq_ignore_ascii_case(target),
            };
            if free_or_theirs {
                n.activation = Activation::AssignmentPending;
            }
        }
    }

    /// Unassigns number `i` now: it stays in the inventory, unassigned (TELEPHONY.md section 4);
    /// the user it leaves is changed.
    pub fn release(&mut self, i: usize) {
        let Some(target) = self.numbers.get_mut(i).and_then(|n| {
            n.activation = Activation::Activated;
            n.target_kind = TargetKind::User;
            n.assignment_target_id.take()
        }) else {
            return;
        };
        if let Some(ui) = self.by_id.get(&target).copied() {
            // Unassignment turns Enterprise Voice off once the user has no number left
            // (Remove-CsPhoneNumberAssignment; TELEPHONY.md section 5).
            if self.numbers_of(&target).next().is_none() {
                self.users[ui].enterprise_voice = false;
            }
            self.touch(ui);
        }
    }
}

/// A number assignment's id: stable per number, like Teams' (opaque to clients).
pub fn number_id(telephone_number: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, telephone_number.as_bytes()).to_string()
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
