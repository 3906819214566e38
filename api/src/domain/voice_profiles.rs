//! Voice profiles: what phone service gives a user besides a number (Teams voice policies by
//! name, an emergency location) and where its numbers come from. Admins manage them; any
//! member reads them.
//!
//! Graph can neither list nor create policies: a profile names them, and each name is
//! resolved to Teams' id with `getPolicyId` when the profile is saved. An unknown name is
//! refused, naming it. A policy type Graph refuses to assign is marked `manual` by the phone
//! service change ([`mark_manual`]); the profile then warns that admins assign it in the
//! Teams admin center.

use std::collections::{BTreeMap, HashMap};

use futures_util::future::try_join_all;
use shared::{
    problem::ConflictCode,
    voice_profiles::{
        EmergencyLocation, NewVoiceProfile, NumberSource, PolicyChoice, PolicyType, ProfileChoices,
        ProfilePolicy, SeenLocation, SeenPolicy, VoiceProfile, VoiceProfilePatch,
    },
};
use uuid::Uuid;

use super::{
    bounds,
    ids::{AccountId, TenantId},
    ledger::{self, Actor, Entry, LedgerKind},
    principal::Principal,
    stored,
    telephony::{tenant_for, Need},
};
use crate::{
    db::{self, voice_profiles::ProfileRow, Db, DbConn},
    error::ApiError,
    microsoft::client::{MicrosoftClient, MsError},
};

/// The longest profile name.
pub const NAME_MAX_CHARS: usize = 100;
/// The longest policy name sent to Teams.
pub const POLICY_NAME_MAX_CHARS: usize = 256;
/// The longest emergency location label, and number source location.
pub const LABEL_MAX_CHARS: usize = 100;
/// Number blocks one profile may be the default of.
pub const MAX_BLOCKS: usize = 500;
/// Profiles an account may have: far more than the handful of sites and routes a customer
/// has, and few enough that the list and the users page's choices are read whole.
pub const MAX_PROFILES: i64 = 200;

/// The permission every policy call needs (TELEPHONY section 8).
const POLICY_PERMISSION: &str = "TeamsPolicyUserAssign.ReadWrite.All";
/// Who marks a policy type manual: the phone service change that saw Graph refuse it.
const SYSTEM_ACTOR: &str = "Phone service";

fn not_found() -> ApiError {
    ApiError::not_found("voice profile")
}

// ---- reading ----

/// The account's profiles, by name (any member).
pub fn list(conn: &mut DbConn, caller: &Principal) -> Result<Vec<VoiceProfile>, ApiError> {
    let account = &caller.account_id;
    let rows = db::voice_profiles::of_account(conn, account)?;
    let context = Context::load(conn, account)?;
    rows.into_iter().map(|row| context.view(row)).collect()
}

/// One profile of the account (any member).
pub fn get(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<VoiceProfile, ApiError> {
    find(conn, &caller.account_id, id)?.ok_or_else(not_found)
}

/// The profile by id, of this account: for the phone service change and its preview.
pub fn find(
    conn: &mut DbConn,
    account: &AccountId,
    id: Uuid,
) -> Result<Option<VoiceProfile>, ApiError> {
    match db::voice_profiles::find(conn, account, &id.to_string())? {
        Some(row) => Ok(Some(Context::load(conn, account)?.view(row)?)),
        None => Ok(None),
    }
}

/// The account's default profile: used when a change names none.
pub fn default_of_account(
    conn: &mut DbConn,
    account: &AccountId,
) -> Result<Option<VoiceProfile>, ApiError> {
    match db::voice_profiles::default_of_account(conn, account)? {
        Some(row) => Ok(Some(Context::load(conn, account)?.view(row)?)),
        None => Ok(None),
    }
}

/// The profile the account's block defaults to, if any.
pub fn default_of_block(
    conn: &mut DbConn,
    account: &AccountId,
    block_id: &str,
) -> Result<Option<VoiceProfile>, ApiError> {
    match db::voice_profiles::default_of_block(conn, account, block_id)? {
        Some(row) => Ok(Some(Context::load(conn, account)?.view(row)?)),
        None => Ok(None),
    }
}

/// What a profile shows besides its row: the blocks defaulting to it, its users.
struct Context {
    blocks: HashMap<String, Vec<Uuid>>,
    users: HashMap<String, i64>,
}

impl Context {
    fn load(conn: &mut DbConn, account: &AccountId) -> Result<Context, ApiError> {
        let mut blocks: HashMap<String, Vec<Uuid>> = HashMap::new();
        for (block, profile) in db::voice_profiles::block_defaults(conn, account)? {
            blocks
                .entry(profile)
                .or_default()
                .push(stored::uuid(&block)?);
        }
        let users = db::voice_profiles::users_per_profile(conn, account)?
            .into_iter()
            .collect();
        Ok(Context { blocks, users })
    }

    fn view(&self, row: ProfileRow) -> Result<VoiceProfile, ApiError> {
        let policies = stored_policies(&row.policies)?;
        let number_source: NumberSource =
            serde_json::from_str(&row.number_source).map_err(|e| broken("number_source", e))?;
        Ok(VoiceProfile {
            id: stored::uuid(&row.id)?,
            warnings: warnings(&policies),
            emergency_location: row.location_id.map(|location_id| EmergencyLocation {
                location_id,
                label: row.location_label,
            }),
            default_for_blocks: self.blocks.get(&row.id).cloned().unwrap_or_default(),
            users: self
                .users
                .get(&row.id)
                .and_then(|n| u64::try_from(*n).ok())
                .unwrap_or(0),
            name: row.name,
            number_source,
            policies,
            is_default: row.is_default,
            created_at: stored::time(row.created_at),
            updated_at: stored::time(row.updated_at),
        })
    }
}

fn stored_policies(text: &str) -> Result<Vec<ProfilePolicy>, ApiError> {
    serde_json::from_str(text).map_err(|e| broken("policies", e))
}

fn broken(column: &str, e: serde_json::Error) -> ApiError {
    ApiError::internal(anyhow::anyhow!(
        "a stored voice profile's {column} is unreadable: {e}"
    ))
}

/// What admins must do by hand: each policy Graph refused to assign.
fn warnings(policies: &[ProfilePolicy]) -> Vec<String> {
    policies
        .iter()
        .filter(|p| p.manual)
        .map(|p| {
            format!(
                "Assign {} '{}' in the Teams admin center: Microsoft Graph does not accept this policy type.",
                p.policy_type.as_str(),
                p.name
            )
        })
        .collect()
}

// ---- checking what a request asks ----

fn name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    bounds::line("name", name, NAME_MAX_CHARS)?;
    if name.is_empty() {
        return Err(ApiError::InvalidInput(
            "A voice profile needs a name.".to_owned(),
        ));
    }
    Ok(name.to_owned())
}

/// Policy names, trimmed, at most one per type, in the order of [`PolicyType::ALL`].
fn policy_choices(choices: &[PolicyChoice]) -> Result<Vec<PolicyChoice>, ApiError> {
    let mut by_type: BTreeMap<PolicyType, String> = BTreeMap::new();
    for choice in choices {
        let name = choice.name.trim();
        bounds::line("policies[].name", name, POLICY_NAME_MAX_CHARS)?;
        if name.is_empty() {
            return Err(ApiError::InvalidInput(format!(
                "Name the {} to set, or leave the type out to keep the org-wide default (Global).",
                choice.policy_type.as_str()
            )));
        }
        if by_type
            .insert(choice.policy_type, name.to_owned())
            .is_some()
        {
            return Err(ApiError::InvalidInput(format!(
                "A voice profile sets at most one {}.",
                choice.policy_type.as_str()
            )));
        }
    }
    Ok(PolicyType::ALL
        .into_iter()
        .filter_map(|t| {
            by_type.remove(&t).map(|name| PolicyChoice {
                policy_type: t,
                name,
            })
        })
        .collect())
}

/// A Teams LIS location id (a GUID, as Teams shows it) and its label.
fn emergency_location(
    location: Option<&EmergencyLocation>,
) -> Result<Option<EmergencyLocation>, ApiError> {
    let Some(location) = location else {
        return Ok(None);
    };
    let id = location.location_id.trim();
    bounds::line("emergency_location.location_id", id, 64)?;
    if id.len() != 36 || Uuid::try_parse(id).is_err() {
        return Err(ApiError::InvalidInput(format!(
            "The emergency location id must be a Teams LIS locationId, a GUID such as \
             3f2a8c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c (Get-CsOnlineLisLocation shows it); '{id}' is not one."
        )));
    }
    let label = match location.label.as_deref().map(str::trim) {
        Some(label) if !label.is_empty() => {
            bounds::line("emergency_location.label", label, LABEL_MAX_CHARS)?;
            Some(label.to_owned())
        }
        _ => None,
    };
    Ok(Some(EmergencyLocation {
        location_id: id.to_owned(),
        label,
    }))
}

/// The number source, trimmed; a block is checked against the account in the transaction.
fn number_source(source: &NumberSource) -> Result<NumberSource, ApiError> {
    Ok(match source {
        NumberSource::Any => NumberSource::Any,
        NumberSource::Block { block_id } => NumberSource::Block {
            block_id: *block_id,
        },
        NumberSource::Location { location } => {
            let location = location.trim();
            bounds::line("number_source.location", location, LABEL_MAX_CHARS)?;
            if location.is_empty() {
                return Err(ApiError::InvalidInput(
                    "Name the location whose blocks the profile's numbers come from.".to_owned(),
                ));
            }
            NumberSource::Location {
                location: location.to_owned(),
            }
        }
        NumberSource::Country { country } => {
            let country = country.trim();
            bounds::line("number_source.country", country, 2)?;
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(ApiError::InvalidInput(format!(
                    "The country must be an ISO 3166 two-letter code such as US; '{country}' is not one."
                )));
            }
            NumberSource::Country {
                country: country.to_ascii_uppercase(),
            }
        }
    })
}

/// Blocks once each, in the order given.
fn block_list(blocks: &[Uuid]) -> Result<Vec<String>, ApiError> {
    if blocks.len() > MAX_BLOCKS {
        return Err(ApiError::OutOfBounds(format!(
            "`default_for_blocks` may name at most {MAX_BLOCKS} blocks."
        )));
    }
    let mut seen = Vec::with_capacity(blocks.len());
    for block in blocks {
        let id = block.to_string();
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    Ok(seen)
}

/// Refuses blocks (and a block number source) that are not the account's.
fn check_blocks(
    conn: &mut DbConn,
    account: &AccountId,
    blocks: &[String],
    source: &NumberSource,
) -> Result<(), ApiError> {
    let mut wanted: Vec<String> = blocks.to_vec();
    if let NumberSource::Block { block_id } = source {
        wanted.push(block_id.to_string());
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let known = db::voice_profiles::existing_blocks(conn, account, &wanted)?;
    match wanted.iter().find(|b| !known.contains(b)) {
        Some(missing) => Err(ApiError::InvalidInput(format!(
            "Your account has no number block {missing}."
        ))),
        None => Ok(()),
    }
}

/// Refuses a new profile to an account that has [`MAX_PROFILES`].
fn check_room(conn: &mut DbConn, account: &AccountId) -> Result<(), ApiError> {
    if db::voice_profiles::count(conn, account)? >= MAX_PROFILES {
        return Err(ApiError::conflict(
            ConflictCode::TooManyProfiles,
            format!("An account can have at most {MAX_PROFILES} voice profiles; delete one first."),
        ));
    }
    Ok(())
}

/// Refuses a name another profile of the account has, whatever its case.
fn check_name_free(
    conn: &mut DbConn,
    account: &AccountId,
    name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let wanted = name.to_lowercase();
    let taken = db::voice_profiles::of_account(conn, account)?
        .into_iter()
        .any(|row| Some(row.id.as_str()) != except && row.name.to_lowercase() == wanted);
    if taken {
        return Err(name_taken(name));
    }
    Ok(())
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(
        ConflictCode::ProfileNameTaken,
        format!("Your account already has a voice profile named '{name}'."),
    )
}

// ---- resolving policy names with Teams ----

/// Teams' id of each named policy, or a refusal naming the first unknown one. A type Graph
/// refused before in this account stays `manual`.
async fn resolve(
    db: &Db,
    client: &MicrosoftClient,
    account: &AccountId,
    choices: Vec<PolicyChoice>,
) -> Result<Vec<ProfilePolicy>, ApiError> {
    if choices.is_empty() {
        return Ok(Vec::new());
    }
    let acc = account.clone();
    let (tenant, manual): (TenantId, Vec<PolicyType>) = db
        .run(move |conn| {
            let tenant = tenant_for(conn, &acc, Need::Directory)?;
            Ok((tenant, manual_types(conn, &acc)?))
        })
        .await?;
    let lookups = choices.iter().map(|choice| {
        let tenant = tenant.as_str();
        async move {
            client
                .policy_id(tenant, choice.policy_type, &choice.name)
                .await
                .map_err(|e| policy_lookup_failed(&e))
        }
    });
    let ids = try_join_all(lookups).await?;
    choices
        .into_iter()
        .zip(ids)
        .map(|(choice, id)| match id {
            Some(policy_id) => Ok(ProfilePolicy {
                manual: manual.contains(&choice.policy_type),
                policy_type: choice.policy_type,
                name: choice.name,
                policy_id,
            }),
            None => Err(ApiError::InvalidInput(format!(
                "Teams has no {} named '{}'.",
                choice.policy_type.as_str(),
                choice.name
            ))),
        })
        .collect()
}

/// The policy types Graph refused for any profile of the account.
fn manual_types(conn: &mut DbConn, account: &AccountId) -> Result<Vec<PolicyType>, ApiError> {
    let mut types = Vec::new();
    for row in db::voice_profiles::of_account(conn, account)? {
        for policy in stored_policies(&row.policies)? {
            if policy.manual && !types.contains(&policy.policy_type) {
                types.push(policy.policy_type);
            }
        }
    }
    Ok(types)
}

fn policy_lookup_failed(e: &MsError) -> ApiError {
    if e.is_permission_denied() {
        return ApiError::conflict(
            ConflictCode::MissingPermission,
            format!(
                "Your tenant connection lacks the {POLICY_PERMISSION} permission voice policies \
                 need. An admin can grant admin consent again on the Tenant Connection page."
            ),
        );
    }
    ApiError::unavailable(anyhow::anyhow!(
        "Teams could not look up a voice policy: {e}"
    ))
}

// ---- changing ----

/// Saves a new profile (admins). Its policy names are resolved with Teams first.
pub async fn create(
    db: &Db,
    client: &MicrosoftClient,
    caller: Principal,
    request: NewVoiceProfile,
) -> Result<VoiceProfile, ApiError> {
    caller.require_admin()?;
    let name = name(&request.name)?;
    let choices = policy_choices(&request.policies)?;
    let location = emergency_location(request.emergency_location.as_ref())?;
    let source = number_source(&request.number_source)?;
    let blocks = block_list(&request.default_for_blocks)?;
    // Cheap refusals before Teams is asked anything.
    let (account, checked_name) = (caller.account_id.clone(), name.clone());
    let (checked_blocks, checked_source) = (blocks.clone(), source.clone());
    db.run(move |conn| {
        check_room(conn, &account)?;
        check_name_free(conn, &account, &checked_name, None)?;
        check_blocks(conn, &account, &checked_blocks, &checked_source)
    })
    .await?;
    let policies = resolve(db, client, &caller.account_id, choices).await?;

    let now = stored::now();
    let row = ProfileRow {
        id: Uuid::new_v4().to_string(),
        account_id: caller.account_id.clone(),
        name,
        number_source: json(&source)?,
        policies: json(&policies)?,
        location_id: location.as_ref().map(|l| l.location_id.clone()),
        location_label: location.and_then(|l| l.label),
        is_default: request.is_default,
        created_at: now,
        updated_at: now,
    };
    db.run(move |conn| {
        let account = caller.account_id.clone();
        let id = row.id.clone();
        db::transaction(conn, |conn| {
            db::lock_account(conn, account.as_str())?;
            check_room(conn, &account)?;
            check_name_free(conn, &account, &row.name, None)?;
            check_blocks(conn, &account, &blocks, &source)?;
            if row.is_default {
                db::voice_profiles::clear_default(conn, &account, &row.id)?;
            }
            db::voice_profiles::insert(conn, &row).map_err(|e| unique(e, &row.name))?;
            db::voice_profiles::set_block_defaults(conn, &account, &row.id, &blocks)?;
            let summary = format!(
                "Created the voice profile '{}'{}.",
                row.name,
                described(&row)
            );
            ledger::record_by(conn, &caller, LedgerKind::VoiceProfileCreated, summary)
        })?;
        find(conn, &account, stored::uuid(&id)?)?.ok_or_else(not_found)
    })
    .await
}

/// Changes what the patch names (admins); the rest stays. New policy names are resolved with
/// Teams first. Users who have service keep what they were given.
pub async fn update(
    db: &Db,
    client: &MicrosoftClient,
    caller: Principal,
    id: Uuid,
    patch: VoiceProfilePatch,
) -> Result<VoiceProfile, ApiError> {
    caller.require_admin()?;
    let name = patch.name.as_deref().map(name).transpose()?;
    let choices = patch.policies.as_deref().map(policy_choices).transpose()?;
    let location = match &patch.emergency_location {
        Some(location) => Some(emergency_location(location.as_ref())?),
        None => None,
    };
    let source = patch
        .number_source
        .as_ref()
        .map(number_source)
        .transpose()?;
    let blocks = patch
        .default_for_blocks
        .as_deref()
        .map(block_list)
        .transpose()?;
    // Another account's profile answers 404 before Teams is asked anything.
    let id = id.to_string();
    let (account, lookup) = (caller.account_id.clone(), id.clone());
    let (checked_name, checked_blocks, checked_source) =
        (name.clone(), blocks.clone(), source.clone());
    db.run(move |conn| {
        db::voice_profiles::find(conn, &account, &lookup)?.ok_or_else(not_found)?;
        if let Some(name) = &checked_name {
            check_name_free(conn, &account, name, Some(&lookup))?;
        }
        check_blocks(
            conn,
            &account,
            checked_blocks.as_deref().unwrap_or_default(),
            checked_source.as_ref().unwrap_or(&NumberSource::Any),
        )
    })
    .await?;
    let policies = match choices {
        Some(choices) => Some(resolve(db, client, &caller.account_id, choices).await?),
        None => None,
    };

    db.run(move |conn| {
        let account = caller.account_id.clone();
        db::transaction(conn, |conn| {
            db::lock_account(conn, account.as_str())?;
            let mut row = db::voice_profiles::find(conn, &account, &id)?.ok_or_else(not_found)?;
            let mut changes = Vec::new();
            if let Some(name) = name.filter(|n| *n != row.name) {
                check_name_free(conn, &account, &name, Some(&id))?;
                changes.push(format!("renamed it from '{}'", row.name));
                row.name = name;
            }
            if let Some(source) = source {
                check_blocks(conn, &account, &[], &source)?;
                let source = json(&source)?;
                if source != row.number_source {
                    changes.push("changed where its numbers come from".to_owned());
                    row.number_source = source;
                }
            }
            if let Some(policies) = policies {
                let policies = json(&policies)?;
                if policies != row.policies {
                    changes.push(format!("set its policies to {}", policy_names(&policies)?));
                    row.policies = policies;
                }
            }
            if let Some(location) = location {
                let (location_id, label) = match location {
                    Some(l) => (Some(l.location_id), l.label),
                    None => (None, None),
                };
                if location_id != row.location_id || label != row.location_label {
                    changes.push(match &location_id {
                        Some(l) => format!("set its emergency location to {l}"),
                        None => "removed its emergency location".to_owned(),
                    });
                    row.location_id = location_id;
                    row.location_label = label;
                }
            }
            if let Some(is_default) = patch.is_default.filter(|d| *d != row.is_default) {
                if is_default {
                    db::voice_profiles::clear_default(conn, &account, &id)?;
                    changes.push("made it the account's default".to_owned());
                } else {
                    changes.push("made it no longer the account's default".to_owned());
                }
                row.is_default = is_default;
            }
            if let Some(blocks) = blocks {
                check_blocks(conn, &account, &blocks, &NumberSource::Any)?;
                let mut before: Vec<String> = db::voice_profiles::block_defaults(conn, &account)?
                    .into_iter()
                    .filter(|(_, profile)| *profile == id)
                    .map(|(block, _)| block)
                    .collect();
                before.sort();
                let mut after = blocks.clone();
                after.sort();
                if before != after {
                    db::voice_profiles::set_block_defaults(conn, &account, &id, &blocks)?;
                    changes.push(format!(
                        "made it the default of {} number block{}",
                        blocks.len(),
                        if blocks.len() == 1 { "" } else { "s" }
                    ));
                }
            }
            if changes.is_empty() {
                return Ok(());
            }
            row.updated_at = stored::now();
            db::voice_profiles::update(conn, &row).map_err(|e| unique(e, &row.name))?;
            let summary = format!(
                "Changed the voice profile '{}': {}.",
                row.name,
                changes.join(", ")
            );
            ledger::record_by(conn, &caller, LedgerKind::VoiceProfileUpdated, summary)?;
            Ok(())
        })?;
        find(conn, &account, stored::uuid(&id)?)?.ok_or_else(not_found)
    })
    .await
}

/// Deletes a profile (admins), refused while it gives any user their service. Blocks that
/// defaulted to it default to none.
pub fn delete(conn: &mut DbConn, caller: &Principal, id: Uuid) -> Result<(), ApiError> {
    caller.require_admin()?;
    let account = &caller.account_id;
    let id = id.to_string();
    db::transaction(conn, |conn| {
        db::lock_account(conn, account.as_str())?;
        let row = db::voice_profiles::find(conn, account, &id)?.ok_or_else(not_found)?;
        let users = db::voice_profiles::users_of(conn, account, &id)?;
        if users > 0 {
            return Err(ApiError::conflict(
                ConflictCode::ProfileInUse,
                format!(
                    "The voice profile '{}' gives phone service to {users} user{}: give them \
                     another profile or remove their service first.",
                    row.name,
                    if users == 1 { "" } else { "s" }
                ),
            ));
        }
        db::voice_profiles::delete(conn, account, &id)?;
        let summary = format!("Deleted the voice profile '{}'.", row.name);
        ledger::record_by(conn, caller, LedgerKind::VoiceProfileDeleted, summary)?;
        Ok(())
    })
}

/// Marks `policy_type` as refused by Graph on every profile of the account that sets it
/// (`manual = true`): admins assign it in the Teams admin center, and the profiles say so.
/// Recorded once, when it changes something.
pub fn mark_manual(
    conn: &mut DbConn,
    account: &AccountId,
    policy_type: PolicyType,
) -> Result<(), ApiError> {
    let actor = Actor::system(SYSTEM_ACTOR);
    for mut row in db::voice_profiles::of_account(conn, account)? {
        let mut policies = stored_policies(&row.policies)?;
        let mut changed = false;
        for policy in policies
            .iter_mut()
            .filter(|p| p.policy_type == policy_type && !p.manual)
        {
            policy.manual = true;
            changed = true;
        }
        if !changed {
            continue;
        }
        row.policies = json(&policies)?;
        row.updated_at = stored::now();
        db::voice_profiles::update(conn, &row)?;
        let summary = format!(
            "Microsoft Graph refused to assign {}: the voice profile '{}' now asks admins to \
             assign it in the Teams admin center.",
            policy_type.as_str(),
            row.name
        );
        ledger::record(
            conn,
            Entry::new(account, LedgerKind::VoiceProfileUpdated, &actor, summary),
        )?;
    }
    Ok(())
}

// ---- choices ----

/// What Teams has in effect on the tenant's users (policies, Global left out) and on its
/// numbers (emergency locations), most used first (admins: it reads the whole tenant).
pub async fn choices(
    db: &Db,
    client: &MicrosoftClient,
    caller: Principal,
) -> Result<ProfileChoices, ApiError> {
    caller.require_admin()?;
    let account = caller.account_id.clone();
    let tenant = db
        .run(move |conn| tenant_for(conn, &account, Need::Directory))
        .await?;
    let (configurations, numbers) = futures_util::future::try_join(
        client.all_user_configurations(tenant.as_str()),
        client.number_assignments(tenant.as_str(), None),
    )
    .await
    .map_err(|e| choices_failed(&e))?;

    let mut policies: HashMap<(PolicyType, String), u64> = HashMap::new();
    for configuration in &configurations {
        for effective in &configuration.effective_policy_assignments {
            let Some(policy_type) = PolicyType::parse(effective.policy_type.trim()) else {
                continue;
            };
            let Some(name) = effective
                .policy_assignment
                .display_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty() && !is_global(n))
            else {
                continue;
            };
            *policies.entry((policy_type, name.to_owned())).or_default() += 1;
        }
    }
    let mut policies: Vec<SeenPolicy> = policies
        .into_iter()
        .map(|((policy_type, name), users)| SeenPolicy {
            policy_type,
            name,
            users,
        })
        .collect();
    policies.sort_by(|a, b| {
        (a.policy_type, std::cmp::Reverse(a.users), &a.name).cmp(&(
            b.policy_type,
            std::cmp::Reverse(b.users),
            &b.name,
        ))
    });

    let mut locations: HashMap<String, u64> = HashMap::new();
    for number in &numbers {
        if let Some(id) = number
            .location_id
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            *locations.entry(id.to_owned()).or_default() += 1;
        }
    }
    let mut locations: Vec<SeenLocation> = locations
        .into_iter()
        .map(|(location_id, numbers)| SeenLocation {
            location_id,
            numbers,
        })
        .collect();
    locations.sort_by(|a, b| {
        (std::cmp::Reverse(a.numbers), &a.location_id)
            .cmp(&(std::cmp::Reverse(b.numbers), &b.location_id))
    });
    Ok(ProfileChoices {
        policies,
        locations,
    })
}

/// The org-wide default, as Teams names it (`Global`, or `Tag:Global`).
fn is_global(name: &str) -> bool {
    let name = name.strip_prefix("Tag:").unwrap_or(name);
    name.eq_ignore_ascii_case("Global")
}

fn choices_failed(e: &MsError) -> ApiError {
    if e.is_permission_denied() {
        return ApiError::conflict(
            ConflictCode::MissingPermission,
            "Your tenant connection cannot read your users' Teams configuration or numbers. An \
             admin can grant admin consent again on the Tenant Connection page.",
        );
    }
    ApiError::unavailable(anyhow::anyhow!("Teams could not be read: {e}"))
}

// ---- helpers ----

fn json<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::internal(e.into()))
}

/// A unique index refusing the name (another admin saved the same name meanwhile).
fn unique(e: diesel::result::Error, name: &str) -> ApiError {
    if db::is_unique_violation(&e) {
        name_taken(name)
    } else {
        e.into()
    }
}

/// " with OnlineVoiceRoutingPolicy 'US-Route', …" for the ledger.
fn described(row: &ProfileRow) -> String {
    let policies = policy_names(&row.policies).unwrap_or_default();
    let mut parts = Vec::new();
    if !policies.is_empty() && policies != "none" {
        parts.push(format!("with {policies}"));
    }
    if let Some(location) = &row.location_id {
        parts.push(format!("emergency location {location}"));
    }
    if row.is_default {
        parts.push("as the account's default".to_owned());
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(", "))
    }
}

fn policy_names(stored: &str) -> Result<String, ApiError> {
    let policies = stored_policies(stored)?;
    if policies.is_empty() {
        return Ok("none".to_owned());
    }
    Ok(policies
        .iter()
        .map(|p| format!("{} '{}'", p.policy_type.as_str(), p.name))
        .collect::<Vec<_>>()
        .join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(policy_type: PolicyType, name: &str) -> PolicyChoice {
        PolicyChoice {
            policy_type,
            name: name.to_owned(),
        }
    }

    #[test]
    fn names_are_trimmed_single_lines_of_1_to_100_characters() {
        assert_eq!(name("  US users ").unwrap(), "US users");
        assert_eq!(name("").unwrap_err().code(), "invalid_input");
        assert_eq!(name("   ").unwrap_err().code(), "invalid_input");
        assert!(name(&"x".repeat(NAME_MAX_CHARS)).is_ok());
        assert_eq!(
            name(&"x".repeat(NAME_MAX_CHARS + 1)).unwrap_err().code(),
            "out_of_bounds"
        );
        assert_eq!(name("a\nb").unwrap_err().code(), "out_of_bounds");
    }

    #[test]
    fn at_most_one_policy_per_type_in_a_stable_order() {
        let chosen = policy_choices(&[
            choice(PolicyType::TenantDialPlan, " US-DialPlan "),
            choice(PolicyType::OnlineVoiceRoutingPolicy, "US-Route"),
        ])
        .unwrap();
        assert_eq!(
            chosen,
            [
                choice(PolicyType::OnlineVoiceRoutingPolicy, "US-Route"),
                choice(PolicyType::TenantDialPlan, "US-DialPlan"),
            ]
        );
        let twice = policy_choices(&[
            choice(PolicyType::OnlineVoiceRoutingPolicy, "US-Route"),
            choice(PolicyType::OnlineVoiceRoutingPolicy, "EU-Route"),
        ]);
        assert_eq!(twice.unwrap_err().code(), "invalid_input");
        let blank = policy_choices(&[choice(PolicyType::CallingLineIdentity, " ")]);
        assert_eq!(blank.unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn emergency_locations_are_guids_with_an_optional_label() {
        let ok = emergency_location(Some(&EmergencyLocation {
            location_id: " 3f2a8c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c ".to_owned(),
            label: Some("  ".to_owned()),
        }))
        .unwrap()
        .unwrap();
        assert_eq!(ok.location_id, "3f2a8c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c");
        assert_eq!(ok.label, None);
        for bad in [
            "",
            "Seattle HQ",
            "3f2a8c1e5b7d4e9a8c6f1d2e3f4a5b6c",
            "{3f2a8c1e-5b7d-4e9a-8c6f-1d2e3f4a5b6c}",
        ] {
            let refused = emergency_location(Some(&EmergencyLocation {
                location_id: bad.to_owned(),
                label: None,
            }));
            assert_eq!(refused.unwrap_err().code(), "invalid_input", "{bad}");
        }
        assert_eq!(emergency_location(None).unwrap(), None);
    }

    #[test]
    fn countries_are_two_letters_upper_cased() {
        assert_eq!(
            number_source(&NumberSource::Country {
                country: " us".to_owned()
            })
            .unwrap(),
            NumberSource::Country {
                country: "US".to_owned()
            }
        );
        for bad in ["USA", "1A", ""] {
            assert!(
                number_source(&NumberSource::Country {
                    country: bad.to_owned()
                })
                .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn manual_policies_warn_naming_the_type() {
        let policies = vec![
            ProfilePolicy {
                policy_type: PolicyType::OnlineVoiceRoutingPolicy,
                name: "US-Route".to_owned(),
                policy_id: "p-1".to_owned(),
                manual: false,
            },
            ProfilePolicy {
                policy_type: PolicyType::TenantDialPlan,
                name: "US-DialPlan".to_owned(),
                policy_id: "p-2".to_owned(),
                manual: true,
            },
        ];
        assert_eq!(
            warnings(&policies),
            ["Assign TenantDialPlan 'US-DialPlan' in the Teams admin center: Microsoft Graph does not accept this policy type."]
        );
    }

    #[test]
    fn global_is_not_a_choice() {
        assert!(is_global("Global"));
        assert!(is_global("Tag:global"));
        assert!(!is_global("Global-Route"));
    }
}
