//! The Graph application permissions the app asks for, what each is for, and which feature
//! of the portal a missing one blocks (CONTRACT section 5). The product description's two come
//! first, in its own words.

use shared::tenant_connection::{AppPermission, CheckKey, VerificationReport};

pub struct Permission {
    pub name: &'static str,
    /// Shown in "What is happening?".
    pub purpose: &'static str,
    /// The feature it opens, as a missing permission's check detail names it.
    pub feature: Option<&'static str>,
    /// The check whose cheap read proves it, when one does (the token's roles prove the rest).
    pub proven_by: Option<CheckKey>,
}

/// Assigning Teams voice policies (`getPolicyId`, `userAssignments/assign|unassign`).
pub const POLICY_PERMISSION: &str = "TeamsPolicyUserAssign.ReadWrite.All";

pub const CATALOGUE: [Permission; 6] = [
    Permission {
        name: "CrossTenantInformation.ReadBasic.All",
        purpose: "the ability to read cross-tenant basic information",
        feature: Some("Tenant details"),
        proven_by: Some(CheckKey::TenantReadable),
    },
    Permission {
        name: "TeamSettings.ReadWrite.All",
        purpose: "the ability to read and change teams' settings",
        feature: None,
        proven_by: None,
    },
    Permission {
        name: "User.Read.All",
        purpose: "read your users' names, UPNs, usage locations and licences, so the portal can list and sync them",
        feature: Some("Users"),
        proven_by: Some(CheckKey::UsersReadable),
    },
    Permission {
        name: "TeamsTelephoneNumber.ReadWrite.All",
        purpose: "read your Teams phone numbers and assign or remove them, for number management and provisioning",
        feature: Some("Phone numbers"),
        proven_by: Some(CheckKey::NumbersReadable),
    },
    Permission {
        name: "TeamsUserConfiguration.Read.All",
        purpose: "read each user's Teams phone configuration, to show who has phone service",
        feature: Some("Phone service state"),
        proven_by: Some(CheckKey::PhoneStateReadable),
    },
    Permission {
        name: POLICY_PERMISSION,
        purpose: "assign your users' Teams voice policies (voice routing, dial plan, caller ID, emergency calling), as their voice profile sets them",
        feature: Some("Voice policies"),
        // No read proves it without a policy's name: the token's roles do.
        proven_by: None,
    },
];

/// The permissions to list: the required ones in the catalogue's order, then any other
/// required one the operator configured.
pub fn listed(required: &[String]) -> Vec<AppPermission> {
    let known = CATALOGUE
        .iter()
        .filter(|p| required.iter().any(|r| r == p.name))
        .map(|p| AppPermission {
            name: p.name.to_owned(),
            purpose: p.purpose.to_owned(),
        });
    let other = required
        .iter()
        .filter(|r| CATALOGUE.iter().all(|p| p.name != r.as_str()))
        .map(|r| AppPermission {
            name: r.clone(),
            purpose: "required by your provider's configuration".to_owned(),
        });
    known.chain(other).collect()
}

/// "Phone numbers: needs TeamsTelephoneNumber.ReadWrite.All" for a missing permission.
pub fn what_it_blocks(name: &str) -> String {
    match CATALOGUE.iter().find(|p| p.name == name) {
        Some(Permission {
            feature: Some(feature),
            ..
        }) => format!("{feature}: needs {name}"),
        _ => format!("needs {name}"),
    }
}

/// The permission whose cheap read proves a feature check.
pub fn for_check(key: CheckKey) -> Option<&'static Permission> {
    CATALOGUE.iter().find(|p| p.proven_by == Some(key))
}

/// Whether the verification found the voice-policy permission missing: phone service then
/// still gives numbers (and locations), and says that policies wait for admin consent again.
pub fn lacks_policy_permission(report: &VerificationReport) -> bool {
    report.checks.iter().any(|c| {
        c.key == CheckKey::PermissionsGranted && !c.passed && c.detail.contains(POLICY_PERMISSION)
    })
}

#[cfg(test)]
mod tests {
    use shared::tenant_connection::{CheckResult, VerificationOutcome, VerificationTrigger};

    use super::*;
    use crate::domain::{
        ids::TenantId,
        tenant_connection::checks::{evaluate_grant, Grant, Requirements},
    };

    #[test]
    fn the_descriptions_two_come_first_in_its_words() {
        let all: Vec<String> = CATALOGUE.iter().map(|p| p.name.to_owned()).collect();
        let listed = listed(&all);
        assert_eq!(listed[0].name, "CrossTenantInformation.ReadBasic.All");
        assert_eq!(
            listed[0].purpose,
            "the ability to read cross-tenant basic information"
        );
        assert_eq!(listed[1].name, "TeamSettings.ReadWrite.All");
        assert_eq!(
            listed[1].purpose,
            "the ability to read and change teams' settings"
        );
        assert_eq!(listed.len(), 6);
    }

    #[test]
    fn a_missing_permission_names_its_feature() {
        assert_eq!(
            what_it_blocks("TeamsTelephoneNumber.ReadWrite.All"),
            "Phone numbers: needs TeamsTelephoneNumber.ReadWrite.All"
        );
        assert_eq!(
            what_it_blocks("TeamsPolicyUserAssign.ReadWrite.All"),
            "Voice policies: needs TeamsPolicyUserAssign.ReadWrite.All"
        );
        assert_eq!(what_it_blocks("Custom.Read"), "needs Custom.Read");
    }

    fn report(checks: Vec<CheckResult>) -> VerificationReport {
        let now = chrono::Utc::now();
        VerificationReport {
            id: uuid::Uuid::nil(),
            trigger: VerificationTrigger::Health,
            outcome: if checks.iter().all(|c| c.passed) {
                VerificationOutcome::Passed
            } else {
                VerificationOutcome::Failed
            },
            message: String::new(),
            checks,
            started_at: now,
            finished_at: now,
        }
    }

    fn permissions_check(granted: &[&str], all: &[&str]) -> CheckResult {
        let roles: Vec<String> = granted.iter().map(|r| (*r).to_owned()).collect();
        let required = Requirements {
            permissions: all.iter().map(|r| (*r).to_owned()).collect(),
            role: "baf37b3a-610e-45da-9e62-d9d1e5e8914b".into(),
            app_display_name: "Tenant Connect".into(),
        };
        let grant = Grant {
            tid: "00000000-0000-0000-0000-000000000001",
            roles: &roles,
            wids: &[],
        };
        let tenant = TenantId::parse("00000000-0000-0000-0000-000000000001").unwrap();
        evaluate_grant(&grant, &tenant, &required)
            .into_iter()
            .find(|c| c.key == CheckKey::PermissionsGranted)
            .unwrap()
    }

    #[test]
    fn a_missing_policy_permission_is_named_and_recognised() {
        let all = ["User.Read.All", POLICY_PERMISSION];
        let missing = permissions_check(&["User.Read.All"], &all);
        assert!(!missing.passed);
        assert_eq!(
            missing.detail,
            "Not granted: Voice policies: needs TeamsPolicyUserAssign.ReadWrite.All."
        );
        assert!(lacks_policy_permission(&report(vec![missing])));

        let granted = permissions_check(&all, &all);
        assert!(!lacks_policy_permission(&report(vec![granted])));
        // Another missing permission is not this one.
        let other = permissions_check(&[POLICY_PERMISSION], &all);
        assert!(!other.passed);
        assert!(!lacks_policy_permission(&report(vec![other])));
    }

    #[test]
    fn only_required_permissions_are_listed() {
        let listed = listed(&["User.Read.All".to_owned(), "Extra.Read.All".to_owned()]);
        let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["User.Read.All", "Extra.Read.All"]);
    }
}
