//! The verification checks, decided from what Microsoft answered: pure rules, no I/O.

use shared::tenant_connection::{CheckKey, CheckResult};

use super::{copy, permissions};
use crate::domain::ids::TenantId;

/// What verification requires of the connection.
#[derive(Debug, Clone)]
pub struct Requirements {
    pub permissions: Vec<String>,
    /// Directory role template id.
    pub role: String,
    pub app_display_name: String,
}

/// What the token Microsoft issued for the tenant says about our app there.
pub struct Grant<'a> {
    pub tid: &'a str,
    pub roles: &'a [String],
    pub wids: &'a [String],
}

pub fn pass(key: CheckKey, detail: impl Into<String>) -> CheckResult {
    CheckResult {
        key,
        label: label(key).to_owned(),
        passed: true,
        detail: detail.into(),
        remediation: None,
    }
}

pub fn fail(
    key: CheckKey,
    detail: impl Into<String>,
    remediation: impl Into<String>,
) -> CheckResult {
    CheckResult {
        key,
        label: label(key).to_owned(),
        passed: false,
        detail: detail.into(),
        remediation: Some(remediation.into()),
    }
}

pub fn label(key: CheckKey) -> &'static str {
    match key {
        CheckKey::ConsentPresent => "Admin consent is in place",
        CheckKey::TenantMatches => "The token is for your tenant",
        CheckKey::PermissionsGranted => "The app's permissions are granted",
        CheckKey::DirectoryRoleAssigned => {
            "The app holds the Teams Communications Administrator role"
        }
        CheckKey::TenantReadable => "Your tenant's details can be read",
        CheckKey::UsersReadable => "Your users can be read",
        CheckKey::NumbersReadable => "Your Teams phone numbers can be read",
        CheckKey::PhoneStateReadable => "Your users' Teams phone state can be read",
    }
}

/// The checks a token decides: its tenant, its permissions, its directory roles.
pub fn evaluate_grant(
    grant: &Grant<'_>,
    expected_tenant: &TenantId,
    required: &Requirements,
) -> Vec<CheckResult> {
    let mut results = Vec::with_capacity(3);
    results.push(if TenantId::parse(grant.tid).as_ref() == Some(expected_tenant) {
        pass(CheckKey::TenantMatches, format!("Microsoft issued the token for tenant {}.", grant.tid))
    } else {
        fail(
            CheckKey::TenantMatches,
            format!("Consent named tenant {expected_tenant}, but Microsoft's token is for tenant {}.", grant.tid),
            "Run step 2 again, signing in to Microsoft with an account of the tenant you want to connect.",
        )
    });
    let missing: Vec<&str> = required
        .permissions
        .iter()
        .filter(|p| !grant.roles.iter().any(|r| r == *p))
        .map(String::as_str)
        .collect();
    results.push(if missing.is_empty() {
        pass(
            CheckKey::PermissionsGranted,
            format!("Granted: {}.", required.permissions.join(", ")),
        )
    } else {
        fail(
            CheckKey::PermissionsGranted,
            format!(
                "Not granted: {}.",
                missing
                    .iter()
                    .map(|p| permissions::what_it_blocks(p))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            copy::PERMISSIONS_REMEDIATION,
        )
    });
    results.push(
        if grant
            .wids
            .iter()
            .any(|w| w.eq_ignore_ascii_case(&required.role))
        {
            pass(
                CheckKey::DirectoryRoleAssigned,
                format!("{} is assigned to the app.", copy::ROLE_NAME),
            )
        } else {
            fail(
                CheckKey::DirectoryRoleAssigned,
                format!("The app does not hold the {} role yet.", copy::ROLE_NAME),
                copy::role_remediation(&required.app_display_name),
            )
        },
    );
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn required() -> Requirements {
        Requirements {
            permissions: vec!["A.Read".into(), "B.Write".into()],
            role: "baf37b3a-610e-45da-9e62-d9d1e5e8914b".into(),
            app_display_name: "Tenant Connect".into(),
        }
    }

    fn tenant(n: u8) -> TenantId {
        TenantId::parse(&format!("00000000-0000-0000-0000-0000000000{n:02x}")).unwrap()
    }

    #[test]
    fn everything_granted_passes() {
        let roles = vec![
            "B.Write".to_owned(),
            "A.Read".to_owned(),
            "Extra".to_owned(),
        ];
        let wids = vec!["BAF37B3A-610E-45DA-9E62-D9D1E5E8914B".to_owned()];
        let grant = Grant {
            tid: "00000000-0000-0000-0000-0000000000AB",
            roles: &roles,
            wids: &wids,
        };
        assert!(evaluate_grant(&grant, &tenant(0xab), &required())
            .iter()
            .all(|c| c.passed));
    }

    #[test]
    fn a_missing_role_says_how_to_assign_it() {
        let roles = vec!["A.Read".to_owned(), "B.Write".to_owned()];
        let grant = Grant {
            tid: "00000000-0000-0000-0000-000000000001",
            roles: &roles,
            wids: &[],
        };
        let results = evaluate_grant(&grant, &tenant(1), &required());
        let role = &results[2];
        assert_eq!(
            (role.key, role.passed),
            (CheckKey::DirectoryRoleAssigned, false)
        );
        let fix = role.remediation.clone().unwrap_or_default();
        assert!(
            fix.contains("Roles & admins") && fix.contains("\"Tenant Connect\""),
            "{fix}"
        );
    }

    #[test]
    fn a_missing_permission_and_another_tenant_fail_by_name() {
        let roles = vec!["A.Read".to_owned()];
        let grant = Grant {
            tid: "00000000-0000-0000-0000-000000000002",
            roles: &roles,
            wids: &[],
        };
        let results = evaluate_grant(&grant, &tenant(1), &required());
        assert!(!results[0].passed);
        assert!(!results[1].passed);
        assert!(results[1].detail.contains("B.Write") && !results[1].detail.contains("A.Read"));
    }
}
