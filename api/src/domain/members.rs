//! An account's members: admins invite people with a role, change roles and remove people;
//! an account always keeps at least one admin. Managing members needs a signed-in admin (an
//! API token may list members, nothing more). Changing one's own password is in `auth`.

use shared::{
    members::{InviteMemberRequest, InvitedMember, Member},
    role::Role,
};
use uuid::Uuid;

use super::{
    bounds,
    email::Email,
    hashing::Hashing,
    ledger::{self, Actor, Entry},
    password::NewPassword,
    principal::Principal,
    stored,
};
use crate::{
    db::{self, roles::StoredRole, users::UserRow, Db, DbConn},
    error::ApiError,
};

fn to_member(row: UserRow) -> Result<Member, ApiError> {
    Ok(Member {
        id: stored::uuid(&row.id)?,
        role: row.role.0,
        email: row.email,
        created_at: stored::time(row.created_at),
    })
}

pub fn list(conn: &mut DbConn, caller: &Principal) -> Result<Vec<Member>, ApiError> {
    db::users::list(conn, &caller.account_id.to_string())?
        .into_iter()
        .map(to_member)
        .collect()
}

/// Invites a person with a one-time password, hashed before a database connection is taken.
pub async fn invite(
    db: &Db,
    hashing: &Hashing,
    caller: &Principal,
    request: &InviteMemberRequest,
) -> Result<InvitedMember, ApiError> {
    caller.require_admin_person()?;
    bounds::line("email", &request.email, bounds::EMAIL_MAX_CHARS)?;
    let email = Email::parse(&request.email)?;
    let (password, clear) = NewPassword::generate();
    let password_hash = hashing.hash(password).await?;
    let now = stored::now();
    let row = UserRow {
        id: Uuid::new_v4().to_string(),
        account_id: caller.account_id.to_string(),
        email: email.as_str().to_owned(),
        password_hash,
        role: StoredRole(request.role),
        created_at: now,
        password_changed_at: now,
    };
    let role = request.role;
    let caller = caller.clone();
    let member = db
        .run(move |conn| {
            db::transaction(conn, |conn| {
                let member = insert(conn, row, &email)?;
                let summary = format!("Invited {} as {}.", member.email, role.label());
                audit(conn, &caller, "members.invited", summary)?;
                Ok(member)
            })
        })
        .await?;
    tracing::info!(member = %member.id, %role, "member invited");
    Ok(InvitedMember {
        member,
        temporary_password: clear,
    })
}

fn insert(conn: &mut DbConn, row: UserRow, email: &Email) -> Result<Member, ApiError> {
    match db::users::insert(conn, &row) {
        Ok(()) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(ApiError::conflict(
                "email_taken",
                format!("{} already has a portal sign-in.", email.as_str()),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    to_member(row)
}

/// Changes a member's role; demoting the last admin is refused.
pub fn change_role(
    conn: &mut DbConn,
    caller: &Principal,
    member_id: Uuid,
    role: Role,
) -> Result<Member, ApiError> {
    caller.require_admin_person()?;
    let account = caller.account_id.to_string();
    let id = member_id.to_string();
    db::transaction(conn, |conn| {
        db::lock_account(conn, &account)?;
        let member =
            db::users::find(conn, &account, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
        if member.role.0 == Role::Admin
            && role != Role::Admin
            && db::users::count_admins(conn, &account)? <= 1
        {
            return Err(last_admin());
        }
        if member.role.0 != role {
            db::users::set_role(conn, &account, &id, role)?;
            let summary = format!(
                "Changed {}'s role from {} to {}.",
                member.email,
                member.role.0.label(),
                role.label()
            );
            audit(conn, caller, "members.role_changed", summary)?;
        }
        to_member(UserRow {
            role: StoredRole(role),
            ..member
        })
    })
}

/// Removes a member; removing the last admin is refused.
pub fn remove(conn: &mut DbConn, caller: &Principal, member_id: Uuid) -> Result<(), ApiError> {
    caller.require_admin_person()?;
    let account = caller.account_id.to_string();
    let id = member_id.to_string();
    db::transaction(conn, |conn| {
        db::lock_account(conn, &account)?;
        let member =
            db::users::find(conn, &account, &id)?.ok_or_else(|| ApiError::not_found("member"))?;
        if member.role.0 == Role::Admin && db::users::count_admins(conn, &account)? <= 1 {
            return Err(last_admin());
        }
        db::users::delete(conn, &account, &id)?;
        let summary = format!("Removed {} from the account.", member.email);
        audit(conn, caller, "members.removed", summary)
    })
}

/// Records a membership change, made by `caller`, in the ledger.
fn audit(
    conn: &mut DbConn,
    caller: &Principal,
    kind: &str,
    summary: String,
) -> Result<(), ApiError> {
    let actor = Actor::of(caller);
    ledger::record(conn, Entry::new(&caller.account_id, kind, &actor, summary))?;
    Ok(())
}

fn last_admin() -> ApiError {
    ApiError::conflict(
        "last_admin",
        "An account needs at least one admin. Make someone else an admin first.",
    )
}
