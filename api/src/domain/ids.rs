//! Typed ids, parsed once: a value that exists is a canonical id. They are stored as text
//! (`db::text_column`), so a malformed stored value is an error when read, never a silent guess.

use std::fmt;

use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, diesel::AsExpression, diesel::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            /// Any spelling of a GUID (capitals, braces); `None` when it is not one.
            pub fn parse(value: &str) -> Option<$name> {
                Uuid::parse_str(value.trim()).ok().map($name::from)
            }

            /// The canonical form: lower-case, hyphenated.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn uuid(&self) -> Uuid {
                // Built only from a Uuid, so it always parses back.
                Uuid::parse_str(&self.0).unwrap_or_default()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> $name {
                $name(id.hyphenated().to_string())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        crate::db::text_column!($name, |id| id.as_str(), |text| $name::parse(&text));

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        /// A job payload's id is checked when the payload is read: a malformed one is a
        /// payload that does not parse (the job fails for good), never a silent guess.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("{text:?} is not a valid id"))
                })
            }
        }
    };
}

uuid_id!(
    /// A customer account of the provider.
    AccountId
);
uuid_id!(
    /// A portal user (a member of an account).
    UserId
);
uuid_id!(
    /// A background job (`jobs`).
    JobId
);
uuid_id!(
    /// A Microsoft Entra tenant, as the `tid` of Microsoft's tokens names it.
    TenantId
);

#[cfg(test)]
mod tests {
    use super::TenantId;

    #[test]
    fn every_spelling_of_a_tenant_is_one_id() {
        let lower = TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert!(lower.is_some());
        assert_eq!(
            TenantId::parse("72F988BF-86F1-41AF-91AB-2D7CD011DB47"),
            lower
        );
        assert_eq!(
            TenantId::parse("{72f988bf-86f1-41af-91ab-2d7cd011db47}"),
            lower
        );
        assert_eq!(
            lower.map(|t| t.to_string()).as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(TenantId::parse("contoso.onmicrosoft.com"), None);
        assert_eq!(TenantId::parse(""), None);
    }
}
