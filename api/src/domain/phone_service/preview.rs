//! What a change would do, row by row, before anything changes: the same checks a change makes
//! (`request::begin_assignment`) against the database, plus one Teams lookup per distinct
//! policy name of the profile. Nothing is written and nothing is reserved: the numbers shown
//! are those auto-select would pick now, handed out in row order.

use std::collections::{HashMap, HashSet};

use shared::{
    directory::ServiceState,
    phone_service::{Preview, PreviewRow, MAX_BULK_USERS},
    voice_profiles::VoiceProfile,
};
use uuid::Uuid;

use super::{
    plan::{self, manual_note},
    request::{check_country, where_from, OwnedPool},
};
use crate::{
    db::{self, directory::DirectoryUserRow, DbConn},
    domain::{
        ids::AccountId,
        numbers::E164,
        principal::Principal,
        stored,
        telephony::{self, Need},
    },
    error::ApiError,
    state::AppState,
};

/// Previews giving `users` service with `profile` (else the default) and, for one user, `number`.
pub async fn preview(
    state: &AppState,
    caller: &Principal,
    users: Vec<String>,
    profile: Option<Uuid>,
    number: Option<String>,
) -> Result<Preview, ApiError> {
    caller.require_staff()?;
    let users: Vec<String> = users
        .into_iter()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    if users.is_empty() || users.len() > MAX_BULK_USERS {
        return Err(ApiError::InvalidInput(format!(
            "Name between 1 and {MAX_BULK_USERS} users."
        )));
    }
    for user in &users {
        crate::domain::bounds::line("users", user, 256)?;
    }
    let number = number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            crate::domain::bounds::line("number", n, 40)?;
            E164::parse(n).map_err(|e| ApiError::InvalidInput(e.0))
        })
        .transpose()?;
    if number.is_some() && users.len() > 1 {
        return Err(ApiError::InvalidInput(
            "A number can be named for one user only; leave it out to have one selected for \
             each."
                .into(),
        ));
    }
    let account = caller.account_id.clone();
    let (tenant, profile, mut rows) = state
        .db
        .run(move |conn| {
            let tenant = telephony::tenant_for(conn, &account, Need::Numbers)?;
            let profile = plan::chosen_profile(conn, &account, profile)?;
            let rows = check_rows(conn, &account, &users, profile.as_ref(), number.as_ref())?;
            Ok((tenant, profile, rows))
        })
        .await?;
    if let Some(profile) = &profile {
        let (problems, notes) = check_policies(state, tenant.as_str(), profile).await;
        for row in &mut rows {
            row.problems.extend(problems.iter().cloned());
            row.notes.extend(notes.iter().cloned());
        }
    }
    for row in &mut rows {
        row.would_succeed = row.problems.is_empty();
        if !row.would_succeed {
            row.number = None;
        }
    }
    let would_succeed = rows.iter().filter(|r| r.would_succeed).count();
    Ok(Preview {
        profile,
        would_fail: u32::try_from(rows.len() - would_succeed).unwrap_or(u32::MAX),
        would_succeed: u32::try_from(would_succeed).unwrap_or(u32::MAX),
        rows,
    })
}

/// The profile's policy names, looked up in Teams once each: a name Teams no longer has fails
/// every row; a type Graph does not take is a note.
async fn check_policies(
    state: &AppState,
    tenant: &str,
    profile: &VoiceProfile,
) -> (Vec<String>, Vec<String>) {
    let (mut problems, mut notes) = (Vec::new(), Vec::new());
    let client = state.connections.client();
    // One lookup per policy sent, all at once.
    let found = futures_util::future::join_all(profile.policies.iter().map(|p| async move {
        if p.manual {
            None
        } else {
            Some(client.policy_id(tenant, p.policy_type, &p.name).await)
        }
    }))
    .await;
    for (policy, found) in profile.policies.iter().zip(found) {
        let Some(found) = found else {
            notes.push(manual_note(policy.policy_type));
            continue;
        };
        match found {
            Ok(Some(_)) => {}
            Ok(None) => problems.push(format!(
                "Teams has no {} named '{}' (any more). An admin can fix the profile '{}'.",
                policy.policy_type.as_str(),
                policy.name,
                profile.name
            )),
            Err(e) => notes.push(format!(
                "Teams could not be asked whether {} '{}' still exists: {e}",
                policy.policy_type.as_str(),
                policy.name
            )),
        }
    }
    (problems, notes)
}

/// The database's checks, row by row, and the numbers auto-select would pick.
fn check_rows(
    conn: &mut DbConn,
    account: &AccountId,
    refs: &[String],
    profile: Option<&VoiceProfile>,
    number: Option<&E164>,
) -> Result<Vec<PreviewRow>, ApiError> {
    let now = stored::now();
    let source = profile.map(|p| (p.name.as_str(), &p.number_source));
    let mut rows = Vec::with_capacity(refs.len());
    // The rows auto-select serves, by where their numbers come from.
    let mut wanting: HashMap<(String, Option<String>, Option<String>), Vec<usize>> = HashMap::new();
    let mut seen = HashSet::new();
    for reference in refs {
        let found = db::directory::find_by_ref(conn, account, reference)?;
        let mut row = PreviewRow {
            user: reference.clone(),
            user_id: found.as_ref().map(|u| u.id.clone()),
            display_name: found.as_ref().map(|u| u.display_name.clone()),
            would_succeed: false,
            number: None,
            problems: Vec::new(),
            notes: Vec::new(),
        };
        let Some(user) = found else {
            row.problems
                .push("No such user in your tenant (sync users if they are new).".into());
            rows.push(row);
            continue;
        };
        if !seen.insert(user.id.clone()) {
            row.problems
                .push("This user is listed more than once; see their first line.".into());
            rows.push(row);
            continue;
        }
        row.problems.extend(user_problems(&user));
        if row.problems.is_empty() {
            match number {
                Some(number) => match named_number(conn, account, &user, number)? {
                    Ok(()) => row.number = Some(number.to_string()),
                    Err(problem) => row.problems.push(problem),
                },
                None => match where_from(conn, account, &user, source) {
                    Ok((country, OwnedPool { block, location })) => wanting
                        .entry((country, block, location))
                        .or_default()
                        .push(rows.len()),
                    Err(e) => row.problems.push(e.to_string()),
                },
            }
        }
        rows.push(row);
    }
    for ((country, block, location), indexes) in wanting {
        let pool = db::numbers::Pool {
            block: block.as_deref(),
            location: location.as_deref(),
        };
        let want = i64::try_from(indexes.len()).unwrap_or(i64::MAX);
        let free = db::numbers::could_take(conn, account, &country, pool, now, want)?;
        let within = match (&block, &location) {
            (Some(_), _) => " in the profile's number block",
            (None, Some(_)) => " at the profile's location",
            (None, None) => "",
        };
        let problem = if free.is_empty() {
            format!("There is no available number in {country}{within}.")
        } else {
            format!(
                "No free number left for this user: the {} available in {country}{within} go to \
                 the rows before it (load more numbers, or apply to fewer users).",
                free.len()
            )
        };
        let mut free = free.into_iter();
        for i in indexes {
            match free.next() {
                Some(number) => rows[i].number = Some(number),
                None => rows[i].problems.push(problem.clone()),
            }
        }
    }
    Ok(rows)
}

/// What keeps Teams from giving this user a number, whatever the number.
fn user_problems(user: &DirectoryUserRow) -> Vec<String> {
    let mut problems = Vec::new();
    if !user.account_enabled {
        problems.push(format!(
            "{} is disabled in Microsoft 365 (sign-in blocked).",
            user.user_principal_name
        ));
    }
    if !user.licensed {
        problems.push(format!(
            "{} has no Teams Phone licence (Phone System), so Teams cannot give them a number.",
            user.user_principal_name
        ));
    }
    match user.service_state.0 {
        ServiceState::Active => problems.push(format!(
            "{} already has phone service ({}).",
            user.user_principal_name,
            user.service_number.as_deref().unwrap_or("")
        )),
        ServiceState::Pending | ServiceState::Removing => problems.push(format!(
            "A change of {}'s phone service is under way.",
            user.user_principal_name
        )),
        ServiceState::None | ServiceState::Failed => {}
    }
    problems
}

/// Whether the named number could go to this user now.
fn named_number(
    conn: &mut DbConn,
    account: &AccountId,
    user: &DirectoryUserRow,
    number: &E164,
) -> Result<Result<(), String>, ApiError> {
    if let Err(e) = check_country(user, number.country(), None) {
        return Ok(Err(e.to_string()));
    }
    let Some(found) = db::numbers::find(conn, account, number.as_str())? else {
        return Ok(Err(format!("{number} is not in your number inventory.")));
    };
    let status = found.status.0;
    let free = status == shared::numbers::NumberStatus::Available
        || (status == shared::numbers::NumberStatus::Aging
            && found.available_from.is_some_and(|t| t <= stored::now()));
    if !free || found.conflict_kind.is_some() {
        return Ok(Err(format!(
            "{number} is not available (it is {}).",
            status.as_str()
        )));
    }
    Ok(Ok(()))
}
