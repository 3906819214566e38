//! Hooks shared by the pages: the API as the signed-in user, polling, and cursor-paged lists.

mod paged_list;
mod poll;

use std::rc::Rc;

use yew::prelude::*;

pub use paged_list::{use_paged_list, ListAction, ListControls, ListQuery};
pub use poll::use_poll;

use crate::api::ApiError;
use crate::session::{use_unauthorized_guard, Session, UnauthorizedGuard};

/// The API as the signed-in user: the bearer token and the guard that ends the session on a 401,
/// cloned into callbacks as one value.
#[derive(Clone, PartialEq)]
pub struct Api {
    token: Rc<str>,
    guard: UnauthorizedGuard,
}

impl Api {
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The error for the page to show, or `None` when it ended the session (the router then
    /// shows the sign-in page).
    pub fn check(&self, error: ApiError) -> Option<ApiError> {
        self.guard.check(error)
    }
}

#[hook]
pub fn use_api(session: &Session) -> Api {
    let guard = use_unauthorized_guard();
    let token = session.access_token.clone();
    let token = use_memo(token, |token| Rc::<str>::from(token.as_str()));
    Api {
        token: Rc::clone(&token),
        guard,
    }
}
