//! The Graph application permissions the app asks for, what each is for, and which feature
//! of the portal a missing one blocks (CONTRACT section 5). The product description's two come
//! first, in its own words.

use shared::tenant_connection::{AppPermission, CheckKey};

pub struct Permission {
    pub name: &'static str,
    /// Shown in "What is happening?".
    pub purpose: &'static str,
    /// The feature it opens, and the check whose cheap read proves it.
    pub feature: Option<(&'static str, CheckKey)>,
}

pub const CATALOGUE: [Permission; 5] = [
    Permission {
        name: "CrossTenantInformation.ReadBasic.All",
        purpose: "the ability to read cross-tenant basic information",
        feature: Some(("Tenant details", CheckKey::TenantReadable)),
    },
    Permission {
        name: "TeamSettings.ReadWrite.All",
        purpose: "the ability to read and change teams' settings",
        feature: None,
    },
    Permission {
        name: "User.Read.All",
        purpose: "read your users' names, UPNs, usage locations and licences, so the portal can list and sync them",
        feature: Some(("Users", CheckKey::UsersReadable)),
    },
    Permission {
        name: "TeamsTelephoneNumber.ReadWrite.All",
        purpose: "read your Teams phone numbers and assign or remove them, for number management and provisioning",
        feature: Some(("Phone numbers", CheckKey::NumbersReadable)),
    },
    Permission {
        name: "TeamsUserConfiguration.Read.All",
        purpose: "read each user's Teams phone configuration, to show who has phone service",
        feature: Some(("Phone service state", CheckKey::PhoneStateReadable)),
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
            feature: Some((feature, _)),
            ..
        }) => format!("{feature}: needs {name}"),
        _ => format!("needs {name}"),
    }
}

/// The permission whose cheap read proves a feature check.
pub fn for_check(key: CheckKey) -> Option<&'static Permission> {
    CATALOGUE
        .iter()
        .find(|p| p.feature.is_some_and(|(_, k)| k == key))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(listed.len(), 5);
    }

    #[test]
    fn a_missing_permission_names_its_feature() {
        assert_eq!(
            what_it_blocks("TeamsTelephoneNumber.ReadWrite.All"),
            "Phone numbers: needs TeamsTelephoneNumber.ReadWrite.All"
        );
        assert_eq!(what_it_blocks("Custom.Read"), "needs Custom.Read");
    }

    #[test]
    fn only_required_permissions_are_listed() {
        let listed = listed(&["User.Read.All".to_owned(), "Extra.Read.All".to_owned()]);
        let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["User.Read.All", "Extra.Read.All"]);
    }
}
