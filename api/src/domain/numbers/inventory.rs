//! Loading numbers into the account's inventory, listing them, and their capacity.

use std::collections::{BTreeMap, HashMap};

use shared::{
    numbers::{
        Capacity, CapacityScope, LoadedNumbers, NumberBlock, NumberConflict, NumberHolder,
        NumberStatus, PhoneNumber,
    },
    paging::Page,
};
use uuid::Uuid;

use super::{
    capacity::{Tally, RATE_WINDOW_DAYS},
    limits::{self, LoadLimits},
    load::{OnError, Parsed},
};
use crate::{
    db::{
        self,
        numbers::{BlockRow, NumberFilter, NumberRow, StoredNumberStatus},
        DbConn,
    },
    domain::{
        ids::AccountId,
        ledger::{self, Actor, Entry, LedgerKind},
        paging::{self, ListAddress, PageQuery, PageRequest},
        phone_service,
        principal::Principal,
        stored,
    },
    error::ApiError,
};

fn to_block(row: BlockRow) -> Result<NumberBlock, ApiError> {
    Ok(NumberBlock {
        id: stored::uuid(&row.id)?,
        label: row.label,
        location: row.location,
        first: row.first_number,
        last: row.last_number,
        count: u32::try_from(row.count).unwrap_or(0),
        created_at: stored::time(row.created_at),
        number_type: shared::numbers::TeamsNumberType::parse(&row.number_type).unwrap_or_default(),
        default_profile_id: row
            .default_profile_id
            .as_deref()
            .map(stored::uuid)
            .transpose()?,
    })
}

/// Whether the caller may load numbers now (admins only, within the account's load rate):
/// asked before an upload is read, so that a refused load costs no parse.
pub fn may_load(
    conn: &mut DbConn,
    caller: &Principal,
    limits: &LoadLimits,
) -> Result<(), ApiError> {
    caller.require_admin()?;
    limits::check_rate(conn, &caller.account_id, limits, stored::now())
}

/// Loads a parsed request as one new block (admins only). With `OnError::Reject` any bad row
/// refuses the whole load (422 listing the rows); numbers already in the inventory refuse it
/// too (409, overlapping blocks), unless `OnError::Skip` leaves them out as rejected rows.
/// The account's load rate (429) and quota (409) are kept: a load past either changes nothing.
pub fn load(
    conn: &mut DbConn,
    caller: &Principal,
    mut parsed: Parsed,
    on_error: OnError,
    limits: &LoadLimits,
) -> Result<LoadedNumbers, ApiError> {
    caller.require_admin()?;
    parsed.reject_repeats();
    if on_error == OnError::Reject && !parsed.rejected.is_empty() {
        return Err(parsed.rejected.into_error(|n| {
            format!(
                "{n} row(s) are not valid numbers; nothing was loaded. Fix them, or load with \
                 on_error=skip to load only the good rows."
            )
        }));
    }
    let account = caller.account_id.clone();
    let actor = phone_service::actor(caller);
    db::transaction(conn, |conn| {
        db::lock_account(conn, account.as_str())?;
        limits::check_rate(conn, &account, limits, stored::now())?;
        let wanted: Vec<String> = parsed
            .numbers
            .iter()
            .map(|c| c.number.to_string())
            .collect();
        let taken: HashMap<String, String> = db::numbers::existing(conn, &account, &wanted)?
            .into_iter()
            .collect();
        if !taken.is_empty() {
            if on_error == OnError::Reject {
                let mut first: Vec<&String> = taken.keys().collect();
                first.sort();
                return Err(ApiError::conflict(
                    shared::problem::ConflictCode::NumbersOverlap,
                    format!(
                        "{} of these numbers are already in your inventory (e.g. {}): blocks may \
                         not overlap. Nothing was loaded.",
                        taken.len(),
                        first[0]
                    ),
                ));
            }
            let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut parsed.numbers)
                .into_iter()
                .partition(|c| !taken.contains_key(c.number.as_str()));
            parsed.numbers = kept;
            for c in dropped {
                parsed.rejected.push(shared::numbers::RejectedRow {
                    line: c.line,
                    value: c.number.to_string(),
                    problem: "Already in your inventory.".into(),
                });
            }
        }
        if parsed.numbers.is_empty() {
            let (rejected, rejected_count) = parsed.rejected.into_parts();
            return Ok(LoadedNumbers {
                block: None,
                loaded: 0,
                rejected,
                rejected_count,
            });
        }
        limits::check_quota(conn, &account, limits, parsed.numbers.len())?;
        let now = stored::now();
        let mut sorted: Vec<&str> = parsed.numbers.iter().map(|c| c.number.as_str()).collect();
        sorted.sort_unstable();
        let block = BlockRow {
            id: Uuid::new_v4().to_string(),
            account_id: account.clone(),
            label: parsed.label.clone(),
            location: parsed.location.clone(),
            first_number: sorted[0].to_owned(),
            last_number: sorted[sorted.len() - 1].to_owned(),
            count: i32::try_from(parsed.numbers.len()).unwrap_or(i32::MAX),
            created_at: now,
            default_profile_id: None,
            number_type: parsed.number_type.as_str().to_owned(),
        };
        let rows: Vec<NumberRow> = parsed
            .numbers
            .iter()
            .map(|c| NumberRow {
                account_id: account.clone(),
                number: c.number.to_string(),
                block_id: block.id.clone(),
                country: c.number.country().to_owned(),
                location: c.location.clone(),
                status: StoredNumberStatus(NumberStatus::Available),
                user_id: None,
                available_from: None,
                assigned_at: None,
                conflict_kind: None,
                conflict_teams_user: None,
                conflict_found_at: None,
                updated_at: now,
            })
            .collect();
        db::numbers::insert_block(conn, &block, &rows)?;
        let actor = Actor::resolve(conn, &account, &actor)?;
        ledger::record(
            conn,
            Entry {
                detail: Some(&format!(
                    "{} numbers, {} to {}",
                    block.count, block.first_number, block.last_number
                )),
                ..Entry::new(
                    &account,
                    LedgerKind::NumbersLoaded,
                    &actor,
                    match &block.label {
                        Some(label) => format!("Loaded {} numbers ({label}).", block.count),
                        None => format!("Loaded {} numbers.", block.count),
                    },
                )
            },
        )?;
        let loaded = u32::try_from(rows.len()).unwrap_or(u32::MAX);
        let (rejected, rejected_count) = parsed.rejected.into_parts();
        Ok(LoadedNumbers {
            block: Some(to_block(block)?),
            loaded,
            rejected,
            rejected_count,
        })
    })
}

pub fn blocks(
    conn: &mut DbConn,
    caller: &Principal,
    query: &PageQuery,
    address: &ListAddress,
) -> Result<Page<NumberBlock>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 2)?;
    let after = match (request.after_part(0), request.after_part(1)) {
        (Some(at), Some(id)) => Some((
            chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| {
                ApiError::OutOfBounds("cursor is not one this list gave out.".into())
            })?,
            id,
        )),
        _ => None,
    };
    let rows = db::numbers::blocks(conn, &caller.account_id, after, request.fetch())?;
    let page = paging::page(rows, &request, address, |b| {
        vec![
            b.created_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            b.id.clone(),
        ]
    });
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_block)
            .collect::<Result<_, _>>()?,
        next: page.next,
    })
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberQuery {
    pub status: Option<NumberStatus>,
    pub country: Option<String>,
    pub location: Option<String>,
    pub block_id: Option<Uuid>,
    /// Digits (or a `+`) found anywhere in the number.
    pub q: Option<String>,
    /// Only numbers Teams disagrees about.
    pub conflict: Option<bool>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    caller: &Principal,
    query: &NumberQuery,
    address: &ListAddress,
) -> Result<Page<PhoneNumber>, ApiError> {
    let request = PageRequest::parse(query.limit, query.cursor.as_deref(), 1)?;
    let search = match query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => {
            let digits: String = q.chars().filter(char::is_ascii_digit).collect();
            if digits.is_empty() || q.len() > 40 {
                return Err(ApiError::InvalidInput(
                    "q searches numbers: give some of its digits.".into(),
                ));
            }
            Some(digits)
        }
    };
    let country = query
        .country
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) {
                Ok(c.to_ascii_uppercase())
            } else {
                Err(ApiError::InvalidInput(
                    "country is a two-letter code, e.g. US.".into(),
                ))
            }
        })
        .transpose()?;
    if let Some(location) = &query.location {
        crate::domain::bounds::line("location", location, 100)?;
    }
    let filter = NumberFilter {
        status: query.status,
        country,
        location: query.location.clone().filter(|l| !l.trim().is_empty()),
        block_id: query.block_id.map(|b| b.to_string()),
        search,
        conflicts_only: query.conflict.unwrap_or(false),
    };
    let account = &caller.account_id;
    db::numbers::end_aging(conn, account, stored::now())?;
    let rows = db::numbers::list(
        conn,
        account,
        &filter,
        request.after_part(0),
        request.fetch(),
    )?;
    let page = paging::page(rows, &request, address, |n| vec![n.number.clone()]);
    let items = views(conn, account, page.items)?;
    Ok(Page {
        items,
        next: page.next,
    })
}

/// The numbers as the API shows them, with their holders' names.
fn views(
    conn: &mut DbConn,
    account: &AccountId,
    rows: Vec<NumberRow>,
) -> Result<Vec<PhoneNumber>, ApiError> {
    let mut names: HashMap<String, NumberHolder> = HashMap::new();
    for row in &rows {
        for id in [row.user_id.as_deref(), row.conflict_teams_user.as_deref()]
            .into_iter()
            .flatten()
        {
            if !names.contains_key(id) {
                if let Some(user) = db::directory::find(conn, account, id)? {
                    names.insert(
                        id.to_owned(),
                        NumberHolder {
                            id: user.id,
                            user_principal_name: user.user_principal_name,
                            display_name: user.display_name,
                        },
                    );
                }
            }
        }
    }
    rows.into_iter()
        .map(|row| {
            let holder = row.user_id.as_deref().map(|id| {
                names.get(id).cloned().unwrap_or(NumberHolder {
                    id: id.to_owned(),
                    user_principal_name: String::new(),
                    display_name: String::new(),
                })
            });
            let conflict = row.conflict_kind.map(|kind| NumberConflict {
                kind: kind.0,
                teams_user_principal_name: row
                    .conflict_teams_user
                    .as_deref()
                    .and_then(|id| names.get(id))
                    .map(|h| h.user_principal_name.clone()),
                teams_user_id: row.conflict_teams_user.clone(),
                found_at: stored::time(row.conflict_found_at.unwrap_or(row.updated_at)),
            });
            Ok(PhoneNumber {
                block_id: stored::uuid(&row.block_id)?,
                number: row.number,
                country: row.country,
                location: row.location,
                status: row.status.0,
                user: holder,
                available_from: row.available_from.map(stored::time),
                conflict,
                updated_at: stored::time(row.updated_at),
            })
        })
        .collect()
}

/// Counts and outlook per block, country and location.
pub fn capacity(
    conn: &mut DbConn,
    caller: &Principal,
    threshold: u64,
) -> Result<Capacity, ApiError> {
    let account = &caller.account_id;
    let now = stored::now();
    db::numbers::end_aging(conn, account, now)?;
    let mut by_block: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_country: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_location: BTreeMap<String, Tally> = BTreeMap::new();
    for (block, country, location, status, count) in db::numbers::tallies(conn, account)? {
        let count = u64::try_from(count).unwrap_or(0);
        by_block.entry(block).or_default().add(status.0, count);
        by_country.entry(country).or_default().add(status.0, count);
        by_location
            .entry(location.unwrap_or_default())
            .or_default()
            .add(status.0, count);
    }
    let since = now - chrono::Duration::days(i64::from(RATE_WINDOW_DAYS));
    for (block, country, location) in db::numbers::enabled_since(conn, account, since)? {
        if let Some(t) = by_block.get_mut(&block) {
            t.assigned_last_30_days += 1;
        }
        if let Some(t) = by_country.get_mut(&country) {
            t.assigned_last_30_days += 1;
        }
        if let Some(t) = by_location.get_mut(&location.unwrap_or_default()) {
            t.assigned_last_30_days += 1;
        }
    }
    let labels: HashMap<String, String> = db::numbers::all_blocks(conn, account)?
        .into_iter()
        .map(|b| {
            let label = b
                .label
                .clone()
                .unwrap_or_else(|| format!("{} to {}", b.first_number, b.last_number));
            (b.id, label)
        })
        .collect();
    Ok(Capacity {
        low_stock_threshold: threshold,
        blocks: by_block
            .into_iter()
            .map(|(id, t)| {
                let label = labels.get(&id).cloned().unwrap_or_else(|| id.clone());
                t.group(CapacityScope::Block, id, label, threshold)
            })
            .collect(),
        countries: by_country
            .into_iter()
            .map(|(c, t)| t.group(CapacityScope::Country, c.clone(), c, threshold))
            .collect(),
        locations: by_location
            .into_iter()
            .map(|(l, t)| {
                let label = if l.is_empty() {
                    "No location".to_owned()
                } else {
                    l.clone()
                };
                t.group(CapacityScope::Location, l, label, threshold)
            })
            .collect(),
    })
}
