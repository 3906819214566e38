//! `GET /v1.0/users/delta` (TELEPHONY.md section 9): an initial round lists every user, later
//! rounds (`$deltatoken`) each user changed since, once, in its current state, and each deleted
//! user as `@removed`. Pages of 200 (`$top` is silently ignored, as Graph does) chained by
//! `@odata.nextLink` (`$skiptoken`); the last page carries `@odata.deltaLink` (`$deltatoken`).
//!
//! Tokens are opaque (base64url) and bound to the tenant and to its change log's epoch; a token
//! that does not decode, names another tenant or epoch, or a sequence the tenant has not reached
//! answers 400 `syncStateNotFound`. Cost per page: a binary search (initial round, by user
//! ordinal) or a B-tree range (later rounds, by change sequence), then the page itself.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Map, Value};

use super::{
    auth::{authorize, Need},
    errors::GraphError,
    paging,
    users::{context_fragment, reject_unsupported, selection, user_json},
};
use crate::{
    http,
    state::{Change, Tenant},
    Simulator,
};

/// Users per delta page (about what Graph returns: TELEPHONY.md section 9).
pub const PAGE: usize = 200;

/// Where a delta round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The initial round, begun at sequence `round`: users from ordinal `next` on.
    Initial { round: u64, next: u64 },
    /// A later round: the changes after sequence `after` up to `round` (the sequence at which
    /// the round began; later changes are left to the next round).
    Changes { round: u64, after: u64 },
}

const PREFIX: &str = "sim1";

fn encode(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("|"))
}

fn skip_token(t: &Tenant, pos: Position) -> String {
    let epoch = t.delta.epoch.to_string();
    let (mode, a, b) = match pos {
        Position::Initial { round, next } => ("i", round, next),
        Position::Changes { round, after } => ("c", round, after),
    };
    encode(&[
        PREFIX,
        "ds",
        &t.id,
        &epoch,
        mode,
        &a.to_string(),
        &b.to_string(),
    ])
}

fn delta_token(t: &Tenant, seq: u64) -> String {
    encode(&[
        PREFIX,
        "dt",
        &t.id,
        &t.delta.epoch.to_string(),
        &seq.to_string(),
    ])
}

/// The token's fields after `sim1|{kind}|{tenant}|{epoch}`, if it is one of this tenant's.
fn fields(t: &Tenant, kind: &str, token: &str) -> Option<Vec<String>> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token.trim()).ok()?).ok()?;
    let mut parts = raw.split('|');
    if parts.next()? != PREFIX || parts.next()? != kind {
        return None;
    }
    if !parts.next()?.eq_ignore_ascii_case(&t.id) {
        return None;
    }
    if parts.next()?.parse::<u64>().ok()? != t.delta.epoch {
        return None;
    }
    Some(parts.map(str::to_string).collect())
}

fn decode_skip(t: &Tenant, token: &str) -> Option<Position> {
    let f = fields(t, "ds", token)?;
    let [mode, a, b] = f.as_slice() else {
        return None;
    };
    let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
    if a > t.delta.seq {
        return None;
    }
    match mode.as_str() {
        "i" if b <= t.next_ordinal => Some(Position::Initial { round: a, next: b }),
        "c" if b <= a => Some(Position::Changes { round: a, after: b }),
        _ => None,
    }
}

fn decode_delta(t: &Tenant, token: &str) -> Option<u64> {
    let f = fields(t, "dt", token)?;
    let [seq] = f.as_slice() else {
        return None;
    };
    seq.parse::<u64>().ok().filter(|&s| s <= t.delta.seq)
}

fn sync_state_not_found(req: &HttpRequest) -> GraphError {
    GraphError::new(
        req,
        StatusCode::BAD_REQUEST,
        "syncStateNotFound",
        "The sync state generation is not found. Restart the sync with an initial delta request.",
    )
}

pub async fn delta(
    req: HttpRequest,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::Users).await?;
    let pairs = http::query_pairs(&req);
    reject_unsupported(&req, &pairs)?;
    let select = selection(&req, &pairs)?;
    // Completed number operations change users: apply them before reading the log.
    sim.settle(&claims.tid);
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let skiptoken = http::query_get(&pairs, "$skiptoken");
    let deltatoken = http::query_get(&pairs, "$deltatoken");
    let position = match (skiptoken, deltatoken) {
        (Some(s), _) => decode_skip(t, s).ok_or_else(|| sync_state_not_found(&req))?,
        (None, Some(d)) if d.trim().eq_ignore_ascii_case("latest") => Position::Changes {
            round: t.delta.seq,
            after: t.delta.seq,
        },
        (None, Some(d)) => Position::Changes {
            round: t.delta.seq,
            after: decode_delta(t, d).ok_or_else(|| sync_state_not_found(&req))?,
        },
        (None, None) => Position::Initial {
            round: t.delta.seq,
            next: 0,
        },
    };
    let (values, next, round) = match position {
        Position::Initial { round, next } => {
            let rest = t.users_from(next);
            let page = &rest[..rest.len().min(PAGE)];
            let values: Vec<Value> = page
                .iter()
                .map(|u| user_json(u, select.as_deref()))
                .collect();
            let more = page
                .last()
                .filter(|_| rest.len() > page.len())
                .map(|u| Position::Initial {
                    round,
                    next: u.ordinal + 1,
                });
            (values, more, round)
        }
        Position::Changes { round, after } => {
            let mut changes = t.delta.between(after, round);
            let mut values = Vec::with_capacity(PAGE);
            let mut last = after;
            for (seq, change) in changes.by_ref().take(PAGE) {
                last = *seq;
                match change {
                    Change::Updated(id) => {
                        if let Some(u) = t.user(id) {
                            values.push(user_json(u, select.as_deref()));
                        }
                    }
                    // A deleted user is soft-deleted first: `changed` (TELEPHONY.md section
                    // 9); `deleted` once it is gone for good.
                    Change::Deleted { id, permanent } => {
                        let reason = if *permanent { "deleted" } else { "changed" };
                        values.push(json!({"id": id, "@removed": {"reason": reason}}));
                    }
                }
            }
            let more = changes
                .next()
                .map(|_| Position::Changes { round, after: last });
            (values, more, round)
        }
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(paging::context(&req, &context_fragment(&select, true))),
    );
    body.insert("value".into(), Value::Array(values));
    match next {
        Some(pos) => body.insert(
            "@odata.nextLink".into(),
            json!(paging::link(
                &req,
                &pairs,
                "$skiptoken",
                &skip_token(t, pos)
            )),
        ),
        None => body.insert(
            "@odata.deltaLink".into(),
            json!(paging::link(
                &req,
                &pairs,
                "$deltatoken",
                &delta_token(t, round)
            )),
        ),
    };
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::TenantSeed, seed::build_tenant};

    fn tenant(domain: &str) -> Tenant {
        build_tenant(&TenantSeed {
            name: "T".into(),
            domain: domain.into(),
            users: 10,
        })
    }

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_tenant() {
        let mut a = tenant("a.example.com");
        let b = tenant("b.example.com");
        a.touch(3);
        a.touch(4);
        let pos = Position::Changes { round: 2, after: 1 };
        assert_eq!(decode_skip(&a, &skip_token(&a, pos)), Some(pos));
        let pos = Position::Initial { round: 2, next: 5 };
        assert_eq!(decode_skip(&a, &skip_token(&a, pos)), Some(pos));
        assert_eq!(decode_delta(&a, &delta_token(&a, 2)), Some(2));
        // Another tenant's token, a sequence not reached, garbage: refused.
        assert_eq!(decode_delta(&b, &delta_token(&a, 0)), None);
        assert_eq!(decode_delta(&a, &delta_token(&a, 3)), None);
        assert_eq!(decode_delta(&a, "not-a-token"), None);
        assert_eq!(decode_delta(&a, &skip_token(&a, pos)), None);
        // The same tenant rebuilt (a restarted simulator): another epoch.
        let again = tenant("a.example.com");
        assert_eq!(again.id, a.id);
        assert_eq!(decode_delta(&again, &delta_token(&a, 0)), None);
    }

    #[test]
    fn the_log_holds_each_user_once_at_its_latest_change() {
        let mut t = tenant("c.example.com");
        t.touch(2);
        t.touch(3);
        t.touch(2);
        let id3 = t.users[3].id.clone();
        let gone = t.delete_user(3, false).map(|u| u.id);
        assert_eq!(gone.as_deref(), Some(id3.as_str()));
        let log: Vec<(u64, String)> = t
            .delta
            .between(0, t.delta.seq)
            .map(|(s, c)| {
                (
                    *s,
                    match c {
                        Change::Updated(id) => format!("u:{id}"),
                        Change::Deleted { id, .. } => format!("d:{id}"),
                    },
                )
            })
            .collect();
        assert_eq!(
            log,
            vec![(3, format!("u:{}", t.users[2].id)), (4, format!("d:{id3}")),]
        );
        assert_eq!(t.delta.between(4, 4).count(), 0);
        assert_eq!(t.delta.between(5, 4).count(), 0);
        // Indexes follow the removal.
        for (i, u) in t.users.iter().enumerate() {
            assert_eq!(t.by_id.get(&u.id), Some(&i));
            assert_eq!(t.user(&u.upn).map(|x| x.ordinal), Some(u.ordinal));
        }
        assert_eq!(t.users_from(3)[0].ordinal, 4);
    }
}
