//! Teams voice policies and emergency (LIS) locations of a tenant (TELEPHONY.md sections 8 and
//! 12): the policies an admin created with PowerShell, each user's direct assignments (made
//! through Graph's `userAssignments`) and those inherited through a group, and the LIS locations
//! numbers may carry. Graph can read and assign policies but not create them; the control API
//! stands in for PowerShell.

use std::{
    collections::{BTreeMap, HashMap},
    time::Instant,
};

use uuid::Uuid;

/// The policy types the simulator models (the names Graph and PowerShell use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyType {
    OnlineVoiceRoutingPolicy,
    TenantDialPlan,
    CallingLineIdentity,
    TeamsEmergencyCallingPolicy,
    TeamsEmergencyCallRoutingPolicy,
}

impl PolicyType {
    pub const ALL: [PolicyType; 5] = [
        PolicyType::OnlineVoiceRoutingPolicy,
        PolicyType::TenantDialPlan,
        PolicyType::CallingLineIdentity,
        PolicyType::TeamsEmergencyCallingPolicy,
        PolicyType::TeamsEmergencyCallRoutingPolicy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::OnlineVoiceRoutingPolicy => "OnlineVoiceRoutingPolicy",
            PolicyType::TenantDialPlan => "TenantDialPlan",
            PolicyType::CallingLineIdentity => "CallingLineIdentity",
            PolicyType::TeamsEmergencyCallingPolicy => "TeamsEmergencyCallingPolicy",
            PolicyType::TeamsEmergencyCallRoutingPolicy => "TeamsEmergencyCallRoutingPolicy",
        }
    }

    /// Case-insensitive, as Teams compares type names.
    pub fn parse(s: &str) -> Option<PolicyType> {
        PolicyType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// The org-wide default every tenant has of each type; it cannot be removed.
pub const GLOBAL: &str = "Global";

#[derive(Debug, Clone)]
pub struct Policy {
    pub policy_type: PolicyType,
    pub name: String,
    pub id: String,
}

/// A LIS location (New-CsOnlineLisLocation): what `locationId` on a number names.
#[derive(Debug, Clone)]
pub struct LisLocation {
    pub id: String,
    pub description: String,
}

/// One direct-assignment change of one user and type: `None` = unassigned. Teams applies a
/// change some time after the call answers (`policy_delay_ms`); until `visible_at` the previous
/// change is what `effectivePolicyAssignments` shows.
#[derive(Debug, Clone)]
struct DirectChange {
    policy_id: Option<String>,
    visible_at: Instant,
}

/// A policy inherited through a group (Graph cannot make these; the control API does).
#[derive(Debug, Clone)]
pub struct GroupAssignment {
    pub policy_id: String,
    pub group_id: String,
}

#[derive(Debug, Default)]
pub struct UserPolicies {
    /// The changes not yet superseded by a visible later one, oldest first.
    direct: BTreeMap<PolicyType, Vec<DirectChange>>,
    group: BTreeMap<PolicyType, GroupAssignment>,
}

/// One entry of `effectivePolicyAssignments`.
pub struct Effective<'a> {
    pub policy_type: PolicyType,
    pub policy: &'a Policy,
    /// None: assigned directly.
    pub group_id: Option<&'a str>,
}

/// A tenant's policies, locations and assignments.
#[derive(Debug, Default)]
pub struct TeamsPolicies {
    /// The tenant's named policies (the Global ones are implicit: see `global`).
    pub policies: Vec<Policy>,
    /// The Global policy of each type, with its tenant-specific id.
    globals: Vec<Policy>,
    pub locations: Vec<LisLocation>,
    /// Types `userAssignments/assign` refuses as not supported (TELEPHONY.md section 8: which
    /// types Graph accepts is undocumented).
    pub refused: Vec<PolicyType>,
    /// By lower-cased user id.
    users: HashMap<String, UserPolicies>,
}

/// Deterministic ids, so a seeded tenant's policies and locations are the same on every run.
fn stable_id(tenant_id: &str, kind: &str, name: &str) -> String {
    let key = format!("{}|{kind}|{}", tenant_id.to_ascii_lowercase(), name);
    Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes()).to_string()
}

/// Seeded named policies of each tenant.
const SEEDED: [(PolicyType, &str); 6] = [
    (PolicyType::OnlineVoiceRoutingPolicy, "US-Route"),
    (PolicyType::OnlineVoiceRoutingPolicy, "EU-Route"),
    (PolicyType::TenantDialPlan, "US-DialPlan"),
    (PolicyType::CallingLineIdentity, "Anonymous"),
    (PolicyType::TeamsEmergencyCallingPolicy, "Notify-Desk"),
    (PolicyType::TeamsEmergencyCallRoutingPolicy, "US-Emergency"),
];

/// Seeded LIS locations of each tenant.
const SEEDED_LOCATIONS: [&str; 2] = ["Seattle HQ", "Berlin Office"];

impl TeamsPolicies {
    /// A tenant with the Global policies only.
    pub fn empty(tenant_id: &str) -> TeamsPolicies {
        TeamsPolicies {
            globals: PolicyType::ALL
                .iter()
                .map(|&t| Policy {
                    policy_type: t,
                    name: GLOBAL.into(),
                    id: stable_id(tenant_id, t.as_str(), GLOBAL),
                })
                .collect(),
            ..TeamsPolicies::default()
        }
    }

    /// The seeded set: Global of each type, a few named policies and two LIS locations.
    pub fn seeded(tenant_id: &str) -> TeamsPolicies {
        let mut p = TeamsPolicies::empty(tenant_id);
        p.policies = SEEDED
            .iter()
            .map(|&(t, name)| Policy {
                policy_type: t,
                name: name.into(),
                id: stable_id(tenant_id, t.as_str(), name),
            })
            .collect();
        p.locations = SEEDED_LOCATIONS
            .iter()
            .map(|d| LisLocation {
                id: stable_id(tenant_id, "location", d),
                description: (*d).into(),
            })
            .collect();
        p
    }

    /// Global policies first (type order), then the named ones in creation order.
    pub fn all(&self) -> impl Iterator<Item = &Policy> {
        self.globals.iter().chain(self.policies.iter())
    }

    /// By type and name (case-insensitive; PowerShell's `Tag:` prefix is accepted).
    pub fn by_name(&self, t: PolicyType, name: &str) -> Option<&Policy> {
        let name = name.trim();
        let name = name
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("tag:"))
            .map_or(name, |_| &name[4..]);
        self.all()
            .find(|p| p.policy_type == t && p.name.eq_ignore_ascii_case(name))
    }

    /// By type and id (ids compared case-insensitively: they are GUIDs).
    pub fn by_id(&self, t: PolicyType, id: &str) -> Option<&Policy> {
        self.all()
            .find(|p| p.policy_type == t && p.id.eq_ignore_ascii_case(id.trim()))
    }

    pub fn is_global(&self, p: &Policy) -> bool {
        self.globals.iter().any(|g| g.id == p.id)
    }

    pub fn location(&self, id: &str) -> Option<&LisLocation> {
        self.locations
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(id.trim()))
    }

    /// Removes a named policy and every assignment of it (its users fall back to Global, as
    /// when an admin removes a policy in Teams). False if there is no such named policy.
    pub fn remove_policy(&mut self, id: &str) -> bool {
        let Some(i) = self
            .policies
            .iter()
            .position(|p| p.id.eq_ignore_ascii_case(id))
        else {
            return false;
        };
        let gone = self.policies.remove(i);
        for u in self.users.values_mut() {
            if let Some(changes) = u.direct.get_mut(&gone.policy_type) {
                changes.retain(|c| c.policy_id.as_deref() != Some(gone.id.as_str()));
            }
            if u.group
                .get(&gone.policy_type)
                .is_some_and(|g| g.policy_id == gone.id)
            {
                u.group.remove(&gone.policy_type);
            }
        }
        true
    }

    /// Records a direct assignment (`Some`) or its removal (`None`), visible from `visible_at`.
    /// Assigning the Global policy is removing the direct assignment: Global is what a user
    /// without one has.
    pub fn set_direct(
        &mut self,
        user_id: &str,
        t: PolicyType,
        policy_id: Option<String>,
        visible_at: Instant,
    ) {
        let policy_id = policy_id.filter(|id| !self.globals.iter().any(|g| g.id == *id));
        let changes = self
            .users
            .entry(user_id.to_ascii_lowercase())
            .or_default()
            .direct
            .entry(t)
            .or_default();
        changes.push(DirectChange {
            policy_id,
            visible_at,
        });
    }

    pub fn set_group(&mut self, user_id: &str, t: PolicyType, assignment: Option<GroupAssignment>) {
        let u = self.users.entry(user_id.to_ascii_lowercase()).or_default();
        match assignment {
            Some(a) => u.group.insert(t, a),
            None => u.group.remove(&t),
        };
    }

    /// The user's direct assignments as last made (what Get-CsUserPolicyAssignment shows at
    /// once, whatever the propagation delay), in type order.
    pub fn direct_of(&self, user_id: &str) -> Vec<&Policy> {
        let Some(u) = self.users.get(&user_id.to_ascii_lowercase()) else {
            return Vec::new();
        };
        u.direct
            .iter()
            .filter_map(|(t, changes)| {
                let id = changes.last()?.policy_id.as_deref()?;
                self.by_id(*t, id)
            })
            .collect()
    }

    /// What Teams applies to the user at `now`: per type, the direct assignment if one is
    /// visible, else the group one; types with neither (Global) are left out.
    pub fn effective_of(&self, user_id: &str, now: Instant) -> Vec<Effective<'_>> {
        let Some(u) = self.users.get(&user_id.to_ascii_lowercase()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for t in PolicyType::ALL {
            let direct = u.direct.get(&t).and_then(|changes| {
                changes
                    .iter()
                    .rev()
                    .find(|c| c.visible_at <= now)
                    .and_then(|c| c.policy_id.as_deref())
            });
            if let Some(policy) = direct.and_then(|id| self.by_id(t, id)) {
                out.push(Effective {
                    policy_type: t,
                    policy,
                    group_id: None,
                });
            } else if let Some(g) = u.group.get(&t) {
                if let Some(policy) = self.by_id(t, &g.policy_id) {
                    out.push(Effective {
                        policy_type: t,
                        policy,
                        group_id: Some(g.group_id.as_str()),
                    });
                }
            }
        }
        out
    }

    /// Drops the changes hidden behind a visible later one (keeps the history short).
    pub fn compact(&mut self, user_id: &str, now: Instant) {
        if let Some(u) = self.users.get_mut(&user_id.to_ascii_lowercase()) {
            for changes in u.direct.values_mut() {
                if let Some(last_visible) = changes.iter().rposition(|c| c.visible_at <= now) {
                    changes.drain(..last_visible);
                }
            }
        }
    }

    /// A deleted user's assignments go with it.
    pub fn forget_user(&mut self, user_id: &str) {
        self.users.remove(&user_id.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn direct_wins_over_group_and_changes_show_after_their_delay() {
        let mut p = TeamsPolicies::seeded("t1");
        let us = p
            .by_name(PolicyType::OnlineVoiceRoutingPolicy, "us-route")
            .unwrap()
            .id
            .clone();
        let eu = p
            .by_name(PolicyType::OnlineVoiceRoutingPolicy, "Tag:EU-Route")
            .unwrap()
            .id
            .clone();
        let now = Instant::now();
        p.set_group(
            "U1",
            PolicyType::OnlineVoiceRoutingPolicy,
            Some(GroupAssignment {
                policy_id: eu.clone(),
                group_id: "g1".into(),
            }),
        );
        let names = |p: &TeamsPolicies, at| {
            p.effective_of("u1", at)
                .iter()
                .map(|e| (e.policy.name.clone(), e.group_id.map(str::to_string)))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&p, now), vec![("EU-Route".into(), Some("g1".into()))]);
        let later = now + Duration::from_millis(100);
        p.set_direct("u1", PolicyType::OnlineVoiceRoutingPolicy, Some(us), later);
        assert_eq!(names(&p, now), vec![("EU-Route".into(), Some("g1".into()))]);
        assert_eq!(names(&p, later), vec![("US-Route".into(), None)]);
        assert_eq!(p.direct_of("u1")[0].name, "US-Route");
        // Assigning Global removes the direct assignment.
        let global = p
            .by_name(PolicyType::OnlineVoiceRoutingPolicy, GLOBAL)
            .unwrap()
            .id
            .clone();
        p.set_direct(
            "u1",
            PolicyType::OnlineVoiceRoutingPolicy,
            Some(global),
            later,
        );
        p.compact("u1", later);
        assert!(p.direct_of("u1").is_empty());
        assert_eq!(
            names(&p, later),
            vec![("EU-Route".into(), Some("g1".into()))]
        );
        // Removing the policy removes its assignments.
        assert!(p.remove_policy(&eu));
        assert!(names(&p, later).is_empty());
    }
}
