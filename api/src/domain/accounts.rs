//! Accounts (the provider's customers) and their first admin, as the provider creates them
//! from the command line or the demo seed.

use secrecy::{ExposeSecret, SecretString};
use shared::role::Role;
use uuid::Uuid;

use super::{email::Email, password::NewPassword, stored};
use crate::{
    db::{self, accounts::AccountRow, roles::StoredRole, users::UserRow, DbConn},
    error::ApiError,
};

pub struct CreatedAccount {
    pub account_id: Uuid,
    pub admin_email: String,
    /// Present when the password was generated: to be shown once.
    pub one_time_password: Option<String>,
}

/// Creates an account with its first admin. The password is generated unless given.
pub fn create(
    conn: &mut DbConn,
    name: &str,
    admin_email: &str,
    password: Option<&SecretString>,
) -> Result<CreatedAccount, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::InvalidInput(
            "An account name needs 1 to 200 characters.".to_owned(),
        ));
    }
    let email = Email::parse(admin_email)?;
    let (password, one_time_password) = match password {
        Some(given) => (NewPassword::parse(given.expose_secret())?, None),
        None => {
            let (password, clear) = NewPassword::generate();
            (password, Some(clear))
        }
    };
    let hash = password.hash()?;
    let account_id = Uuid::new_v4();
    let now = stored::now();
    db::transaction(conn, |conn| {
        if db::accounts::find_by_name(conn, name)?.is_some() {
            return Err(ApiError::conflict(
                shared::problem::ConflictCode::AccountExists,
                format!("An account named '{name}' exists already."),
            ));
        }
        if db::users::find_by_email(conn, email.as_str())?.is_some() {
            return Err(ApiError::conflict(
                shared::problem::ConflictCode::EmailTaken,
                format!("{} already has a portal sign-in.", email.as_str()),
            ));
        }
        db::accounts::insert(
            conn,
            &AccountRow {
                id: account_id.to_string(),
                name: name.to_owned(),
                created_at: now,
            },
        )?;
        db::users::insert(
            conn,
            &UserRow {
                id: Uuid::new_v4().to_string(),
                account_id: account_id.to_string(),
                email: email.as_str().to_owned(),
                password_hash: hash,
                role: StoredRole(Role::Admin),
                created_at: now,
                password_changed_at: now,
            },
        )?;
        Ok(())
    })?;
    Ok(CreatedAccount {
        account_id,
        admin_email: email.as_str().to_owned(),
        one_time_password,
    })
}

pub struct AccountListing {
    pub id: String,
    pub name: String,
    pub users: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub fn list(conn: &mut DbConn) -> Result<Vec<AccountListing>, ApiError> {
    let rows = db::accounts::list(conn)?;
    rows.into_iter()
        .map(|row| {
            Ok(AccountListing {
                users: db::users::count(conn, &row.id)?,
                created_at: stored::time(row.created_at),
                id: row.id,
                name: row.name,
            })
        })
        .collect()
}

/// The demo: two accounts, so isolation can be seen. Skips what exists.
pub fn seed_demo(conn: &mut DbConn, password: &SecretString) -> Result<(), ApiError> {
    let accounts: [(&str, &[(&str, Role)]); 2] = [
        (
            "Contoso Telephony",
            &[
                ("admin@contoso.example", Role::Admin),
                ("staff@contoso.example", Role::Staff),
                ("viewer@contoso.example", Role::Viewer),
            ],
        ),
        ("Fabrikam", &[("admin@fabrikam.example", Role::Admin)]),
    ];
    let hash = NewPassword::parse(password.expose_secret())?.hash()?;
    for (name, people) in accounts {
        let account_id = match db::accounts::find_by_name(conn, name)? {
            Some(row) => row.id,
            None => {
                let row = AccountRow {
                    id: Uuid::new_v4().to_string(),
                    name: name.to_owned(),
                    created_at: stored::now(),
                };
                db::accounts::insert(conn, &row)?;
                row.id
            }
        };
        for (email, role) in people {
            if db::users::find_by_email(conn, email)?.is_none() {
                let now = stored::now();
                db::users::insert(
                    conn,
                    &UserRow {
                        id: Uuid::new_v4().to_string(),
                        account_id: account_id.clone(),
                        email: (*email).to_owned(),
                        password_hash: hash.clone(),
                        role: StoredRole(*role),
                        created_at: now,
                        password_changed_at: now,
                    },
                )?;
            }
        }
    }
    Ok(())
}
