//! The signed-in session: the bearer token and who it belongs to.
//!
//! It lives in a reducer provided as context by the app, and is mirrored in localStorage so a
//! reload keeps you signed in. A session past its expiry is never used.

use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use serde::{Deserialize, Serialize};
use shared::auth::{LoginResponse, Me};
use shared::role::Role;
use yew::prelude::*;

use crate::api::ApiError;

const STORAGE_KEY: &str = "tenant-connect.session";

/// A signed-in user's token, its expiry and who they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub access_token: String,
    /// Milliseconds since the Unix epoch (as `Date.now()`), after which the token is refused.
    pub expires_at_ms: f64,
    pub me: Me,
}

impl Session {
    pub fn from_login(login: LoginResponse) -> Self {
        // Expire a few seconds early so a request is never sent with a token about to lapse.
        let lifetime_ms = (login.expires_in as f64 * 1000.0 - 5000.0).max(0.0);
        Session {
            access_token: login.access_token,
            expires_at_ms: now_ms() + lifetime_ms,
            me: login.me,
        }
    }

    pub fn is_expired(&self) -> bool {
        now_ms() >= self.expires_at_ms
    }

    /// Milliseconds left before expiry (0 when expired).
    pub fn remaining_ms(&self) -> f64 {
        (self.expires_at_ms - now_ms()).max(0.0)
    }

    pub fn is_admin(&self) -> bool {
        self.me.role == Role::Admin
    }

    /// Staff and admins add and remove phone service and run syncs; viewers only look.
    pub fn can_manage_phone_service(&self) -> bool {
        matches!(self.me.role, Role::Admin | Role::Staff)
    }
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The app-wide session state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionState {
    pub current: Option<Rc<Session>>,
}

pub enum SessionAction {
    SignedIn(Session),
    /// A fresh copy of `Me` (e.g. the role changed) for the current token.
    Refreshed(Me),
    SignedOut,
    /// The expiry timer of this token fired; ignored if another session replaced it.
    Expired {
        access_token: String,
    },
}

impl Reducible for SessionState {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        let current = match action {
            SessionAction::SignedIn(session) => Some(Rc::new(session)),
            SessionAction::Refreshed(me) => self.current.as_ref().map(|session| {
                Rc::new(Session {
                    me,
                    ..Session::clone(session)
                })
            }),
            SessionAction::SignedOut => None,
            SessionAction::Expired { access_token } => match &self.current {
                Some(session) if session.access_token == access_token => None,
                _ => return self,
            },
        };
        Rc::new(SessionState { current })
    }
}

impl SessionState {
    /// The stored session, if there is one that has not expired.
    pub fn load() -> Self {
        let current = LocalStorage::get::<Session>(STORAGE_KEY)
            .ok()
            .filter(|session| !session.is_expired())
            .map(Rc::new);
        SessionState { current }
    }

    /// Mirrors the state into localStorage.
    pub fn persist(&self) {
        match &self.current {
            Some(session) => {
                // A full or disabled storage only costs the user a sign-in after reload.
                let _ = LocalStorage::set(STORAGE_KEY, session.as_ref());
            }
            None => LocalStorage::delete(STORAGE_KEY),
        }
    }
}

/// The session reducer, as shared through context.
pub type SessionHandle = UseReducerHandle<SessionState>;

/// The current session, if signed in and not expired.
#[hook]
pub fn use_session() -> Option<Rc<Session>> {
    use_context::<SessionHandle>()
        .and_then(|handle| handle.current.clone())
        .filter(|session| !session.is_expired())
}

/// Ends the session when the API says it is over, and hands any other error back to the page.
#[derive(Clone, PartialEq)]
pub struct UnauthorizedGuard {
    handle: Option<SessionHandle>,
}

impl UnauthorizedGuard {
    /// `None` if the error was a 401 (the session is now cleared and the router will show the
    /// sign-in page); otherwise the error, for the page to show.
    pub fn check(&self, error: ApiError) -> Option<ApiError> {
        if error.is_unauthorized() {
            if let Some(handle) = &self.handle {
                handle.dispatch(SessionAction::SignedOut);
            }
            None
        } else {
            Some(error)
        }
    }
}

#[hook]
pub fn use_unauthorized_guard() -> UnauthorizedGuard {
    UnauthorizedGuard {
        handle: use_context::<SessionHandle>(),
    }
}
