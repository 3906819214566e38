//! Who caused an event: the key the ledger stores and filters on, and the name it shows.

use std::{fmt, str::FromStr};

use shared::auth::PrincipalKind;
use uuid::Uuid;

use crate::{
    db::{self, DbConn},
    domain::{
        ids::{AccountId, UserId},
        principal::Principal,
    },
    error::ApiError,
};

/// Who caused an event, as stored: `user:<id>`, `token:<id>`, `system` or `rule:<id>`. Job
/// payloads carry it as that same text, so a payload queued before a deploy still parses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActorKey {
    /// A portal user.
    User(UserId),
    /// An API token.
    Token(Uuid),
    /// The portal itself.
    System,
    /// A provisioning rule, acting on its own.
    Rule(Uuid),
}

impl ActorKey {
    /// The caller's key.
    pub fn of(caller: &Principal) -> ActorKey {
        match caller.kind {
            PrincipalKind::User => ActorKey::User(caller.id.clone()),
            PrincipalKind::ApiToken => ActorKey::Token(caller.id.uuid()),
        }
    }
}

impl fmt::Display for ActorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActorKey::User(id) => write!(f, "user:{id}"),
            ActorKey::Token(id) => write!(f, "token:{}", id.hyphenated()),
            ActorKey::System => f.write_str("system"),
            ActorKey::Rule(id) => write!(f, "rule:{}", id.hyphenated()),
        }
    }
}

/// A text that is no actor key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedActorKey(String);

impl fmt::Display for MalformedActorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not `user:<id>`, `token:<id>`, `system` or `rule:<id>`",
            self.0
        )
    }
}

impl std::error::Error for MalformedActorKey {}

impl FromStr for ActorKey {
    type Err = MalformedActorKey;

    /// The ids are GUIDs in any spelling Uuid accepts; they are kept in the canonical one.
    fn from_str(text: &str) -> Result<ActorKey, MalformedActorKey> {
        if text == "system" {
            return Ok(ActorKey::System);
        }
        let malformed = || MalformedActorKey(text.to_owned());
        let (prefix, id) = text.split_once(':').ok_or_else(malformed)?;
        let id = Uuid::parse_str(id).map_err(|_| malformed())?;
        match prefix {
            "user" => Ok(ActorKey::User(UserId::from(id))),
            "token" => Ok(ActorKey::Token(id)),
            "rule" => Ok(ActorKey::Rule(id)),
            _ => Err(malformed()),
        }
    }
}

impl serde::Serialize for ActorKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A job payload's actor is checked when the payload is read: a malformed one is a payload
/// that does not parse, never an event recorded as nobody.
impl<'de> serde::Deserialize<'de> for ActorKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ActorKey, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Who caused an event: the key the ledger filters on, and the name it shows, as it was at the
/// time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub key: ActorKey,
    pub name: String,
}

impl Actor {
    /// The caller, named as [`Actor::resolve`] names them.
    pub fn of(caller: &Principal) -> Actor {
        let name = match caller.kind {
            PrincipalKind::User => caller.name.clone(),
            PrincipalKind::ApiToken => format!("API token {}", caller.name),
        };
        Actor {
            key: ActorKey::of(caller),
            name,
        }
    }

    /// The portal itself, doing `what` ("Connection health check", "User sync", ...).
    pub fn system(what: &str) -> Actor {
        Actor {
            key: ActorKey::System,
            name: what.to_owned(),
        }
    }

    /// The actor behind a key kept elsewhere (a job's payload), named as they are now: a
    /// member or token since removed is named so.
    pub fn resolve(
        conn: &mut DbConn,
        account: &AccountId,
        key: &ActorKey,
    ) -> Result<Actor, ApiError> {
        let name = match key {
            ActorKey::User(id) => db::users::find(conn, account.as_str(), id.as_str())?
                .map(|u| u.email)
                .unwrap_or_else(|| "A former member".to_owned()),
            ActorKey::Token(id) => db::api_tokens::find(conn, account.as_str(), &id.to_string())?
                .map(|t| format!("API token {}", t.name))
                .unwrap_or_else(|| "A removed API token".to_owned()),
            ActorKey::System => "Tenant Connect".to_owned(),
            // Rules are not stored yet: the next issue names them.
            ActorKey::Rule(_) => "A provisioning rule".to_owned(),
        };
        Ok(Actor {
            key: key.clone(),
            name,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use uuid::Uuid;

    use super::ActorKey;
    use crate::domain::ids::UserId;

    const ID: &str = "0b8c1e7a-5f3d-4c2b-9a61-7e4d2f8b3c10";

    fn every_key() -> Vec<(ActorKey, String)> {
        let id = Uuid::parse_str(ID).unwrap();
        vec![
            (ActorKey::User(UserId::from(id)), format!("user:{ID}")),
            (ActorKey::Token(id), format!("token:{ID}")),
            (ActorKey::System, "system".to_owned()),
            (ActorKey::Rule(id), format!("rule:{ID}")),
        ]
    }

    #[test]
    fn every_key_round_trips_as_its_text() {
        for (key, text) in every_key() {
            assert_eq!(key.to_string(), text);
            assert_eq!(text.parse::<ActorKey>().unwrap(), key);
            let json = serde_json::to_string(&key).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ActorKey>(&json).unwrap(), key);
        }
    }

    #[test]
    fn an_id_in_capitals_names_the_same_actor() {
        let shouted = format!("user:{}", ID.to_uppercase());
        assert_eq!(
            shouted.parse::<ActorKey>().unwrap().to_string(),
            format!("user:{ID}")
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        for text in [
            "",
            "user:",
            "bogus:1",
            "user",
            "user:42",
            "System",
            "system:",
            "User:0b8c1e7a-5f3d-4c2b-9a61-7e4d2f8b3c10",
            &format!("bogus:{ID}"),
            &format!(" user:{ID}"),
        ] {
            assert!(text.parse::<ActorKey>().is_err(), "{text:?} parsed");
            let json = serde_json::to_string(text).unwrap();
            assert!(
                serde_json::from_str::<ActorKey>(&json).is_err(),
                "{text:?} deserialized"
            );
        }
        assert!(serde_json::from_str::<ActorKey>("42").is_err());
    }
}
