//! A member's or API token's role as stored: its name (`admin`, `staff`, `viewer`); an unknown
//! stored name fails to load rather than granting anything.

use shared::role::Role;

use super::text_column;

#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct StoredRole(pub Role);

text_column!(StoredRole, |r| r.0.as_str(), |text| Role::parse(&text)
    .map(StoredRole));
