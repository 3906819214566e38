//! An account's members: admins invite people with a role, change roles and remove people;
//! an account always keeps at least one admin. Managing members needs a signed-in admin (an
//! API token may list members, nothing more). Changing one's own password is in `auth`.
//!
//! An invitation is not a sign-in. It holds a role and a one-time password (kept as its
//! SHA-256; it is random) until the person first signs in with that password, which makes
//! them a member (`accept`), or until it expires (`INVITATION_TTL_HOURS`). So an invite
//! answers the same whatever the address: whether it has a sign-in in another account is
//! never looked at, and an invitation holds the address nowhere (any number of accounts may
//! invite it; the first one the person accepts is theirs, and an address with a sign-in
//! signs in to that account only). Only "already a member of your account" is refused.
//! Invitations are rate-limited per account (`INVITES_PER_HOUR`).

use shared::{
    members::{InviteMemberRequest, InvitedMember, Member, MemberStatus},
    role::Role,
};
use uuid::Uuid;

use super::{
    api_token, bounds,
    email::Email,
    ledger::{self, LedgerKind},
    password::NewPassword,
    principal::Principal,
    rate_limit::{self, RateLimits},
    stored,
};
use crate::{
    db::{self, invitations::InvitationRow, roles::StoredRole, users::UserRow, Db, DbConn},
    error::ApiError,
};

fn to_member(row: UserRow) -> Result<Member, ApiError> {
    Ok(Member {
        id: stored::uuid(&row.id)?,
        role: row.role.0,
        email: row.email,
        created_at: stored::time(row.created_at),
        status: MemberStatus::Active,
        invitation_expires_at: None,
    })
}

fn invited_member(row: InvitationRow) -> Result<Member, ApiError> {
    Ok(Member {
        id: stored::uuid(&row.id)?,
        role: row.role.0,
        email: row.email,
        created_at: stored::time(row.created_at),
        status: MemberStatus::Invited,
        invitation_expires_at: Some(stored::time(row.expires_at)),
    })
}

/// The account's members and its invitations that still work, oldest first.
pub fn list(conn: &mut DbConn, caller: &Principal) -> Result<Vec<Member>, ApiError> {
    let account = caller.account_id.to_string();
    let mut all = db::users::list(conn, &account)?
        .into_iter()
        .map(to_member)
        .collect::<Result<Vec<_>, _>>()?;
    for invitation in db::invitations::list_live(conn, &account, stored::now())? {
        all.push(invited_member(invitation)?);
    }
    all.sort_by(|a, b| (a.created_at, &a.email).cmp(&(b.created_at, &b.email)));
    Ok(all)
}

/// Invites a person: an invitation with a one-time password, shown once. A new invitation of
/// the same address replaces the account's earlier one.
pub async fn invite(
    db: &Db,
    limits: &RateLimits,
    ttl: std::time::Duration,
    caller: &Principal,
    request: &InviteMemberRequest,
) -> Result<InvitedMember, ApiError> {
    caller.require_admin_person()?;
    bounds::line("email", &request.email, bounds::EMAIL_MAX_CHARS)?;
    let email = Email::parse(&request.email)?;
    let (_, clear) = NewPassword::generate();
    let now = stored::now();
    let ttl = chrono::Duration::from_std(ttl)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("the invitation lifetime: {e}")))?;
    let row = InvitationRow {
        id: Uuid::new_v4().to_string(),
        account_id: caller.account_id.to_string(),
        email: email.as_str().to_owned(),
        role: StoredRole(request.role),
        secret_hash: api_token::hash(&clear),
        invited_by: Some(caller.id.to_string()),
        created_at: now,
        expires_at: now + ttl,
    };
    let (role, limits, caller) = (request.role, *limits, caller.clone());
    let member = db
        .run(move |conn| {
            // Counted apart from the invitation: a refused one counts too.
            rate_limit::count_invite(conn, &caller.account_id, &limits)?;
            db::transaction(conn, |conn| {
                let account = caller.account_id.to_string();
                db::lock_account(conn, &account)?;
                let member = db::users::find_by_email(conn, &row.email)?;
                if member.is_some_and(|user| user.account_id == account) {
                    return Err(ApiError::conflict(
                        shared::problem::ConflictCode::EmailTaken,
                        format!("{} is already a member of your account.", row.email),
                    ));
                }
                db::invitations::purge_expired(conn, &account, now)?;
                db::invitations::delete_for_email(conn, &account, &row.email)?;
                db::invitations::insert(conn, &row)?;
                let summary = format!("Invited {} as {}.", row.email, role.label());
                ledger::record_by(conn, &caller, LedgerKind::MembersInvited, summary)?;
                invited_member(row)
            })
        })
        .await?;
    tracing::info!(member = %member.id, %role, "member invited");
    Ok(InvitedMember {
        member,
        temporary_password: clear,
    })
}

/// The invitation of `email` that `password` is the one-time password of, if it still works.
pub fn find_invitation(
    conn: &mut DbConn,
    email: &str,
    password: &str,
) -> Result<Option<InvitationRow>, ApiError> {
    Ok(db::invitations::find_live_by_secret(
        conn,
        email,
        &api_token::hash(password),
        stored::now(),
    )?)
}

/// Makes the invited person a member, with `password_hash` (their one-time password's
/// argon2 hash), under the invitation's id (the sign-in that follows is in the ledger). `None` when the address has had a sign-in since
/// (the invitation then never works) or the invitation is gone.
pub fn accept(
    conn: &mut DbConn,
    invitation: &InvitationRow,
    password_hash: String,
) -> Result<Option<UserRow>, ApiError> {
    db::transaction(conn, |conn| {
        let account = invitation.account_id.clone();
        // The invitation as it is now, under the lock that role changes and withdrawals take:
        // the password check took a while, and an admin may have changed or withdrawn it.
        db::lock_account(conn, &account)?;
        let now = stored::now();
        let Some(current) = db::invitations::find(conn, &account, &invitation.id)?
            .filter(|i| i.expires_at > now && i.secret_hash == invitation.secret_hash)
        else {
            return Ok(None);
        };
        db::invitations::delete(conn, &account, &current.id)?;
        let row = UserRow {
            id: current.id.clone(),
            account_id: account.clone(),
            email: current.email.clone(),
            password_hash,
            role: current.role,
            created_at: now,
            password_changed_at: now,
        };
        match db::users::insert(conn, &row) {
            Ok(()) => {}
            // The address signed in elsewhere meanwhile: as a wrong password.
            Err(e) if db::is_unique_violation(&e) => return Err(ApiError::InvalidCredentials),
            Err(e) => return Err(e.into()),
        }
        Ok(Some(row))
    })
}

/// Changes a member's (or an invitation's) role; demoting the last admin is refused.
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
        let Some(member) = db::users::find(conn, &account, &id)? else {
            let invitation = live_invitation(conn, &account, &id)?;
            if invitation.role.0 != role {
                db::invitations::set_role(conn, &account, &id, StoredRole(role))?;
                let summary = format!(
                    "Changed the invitation of {} from {} to {}.",
                    invitation.email,
                    invitation.role.0.label(),
                    role.label()
                );
                ledger::record_by(conn, caller, LedgerKind::MembersRoleChanged, summary)?;
            }
            return invited_member(InvitationRow {
                role: StoredRole(role),
                ..invitation
            });
        };
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
            ledger::record_by(conn, caller, LedgerKind::MembersRoleChanged, summary)?;
        }
        to_member(UserRow {
            role: StoredRole(role),
            ..member
        })
    })
}

/// Removes a member, revoking the API tokens they created (or withdraws an invitation);
/// removing the last admin is refused.
pub fn remove(conn: &mut DbConn, caller: &Principal, member_id: Uuid) -> Result<(), ApiError> {
    caller.require_admin_person()?;
    let account = caller.account_id.to_string();
    let id = member_id.to_string();
    db::transaction(conn, |conn| {
        db::lock_account(conn, &account)?;
        let Some(member) = db::users::find(conn, &account, &id)? else {
            let invitation = live_invitation(conn, &account, &id)?;
            db::invitations::delete(conn, &account, &id)?;
            let summary = format!("Withdrew the invitation of {}.", invitation.email);
            ledger::record_by(conn, caller, LedgerKind::MembersRemoved, summary)?;
            return Ok(());
        };
        if member.role.0 == Role::Admin && db::users::count_admins(conn, &account)? <= 1 {
            return Err(last_admin());
        }
        api_token::manage::revoke_created_by(conn, caller, &id, &member.email)?;
        db::users::delete(conn, &account, &id)?;
        let summary = format!("Removed {} from the account.", member.email);
        ledger::record_by(conn, caller, LedgerKind::MembersRemoved, summary)?;
        Ok(())
    })
}

/// The account's invitation `id`, if it still works; else the member is not found.
fn live_invitation(conn: &mut DbConn, account: &str, id: &str) -> Result<InvitationRow, ApiError> {
    db::invitations::find(conn, account, id)?
        .filter(|invitation| invitation.expires_at > stored::now())
        .ok_or_else(|| ApiError::not_found("member"))
}

fn last_admin() -> ApiError {
    ApiError::conflict(
        shared::problem::ConflictCode::LastAdmin,
        "An account needs at least one admin. Make someone else an admin first.",
    )
}
