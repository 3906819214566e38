//! One module per page. Each page owns its state (`use_state` / `use_reducer`).

use std::rc::Rc;

use yew::prelude::*;

use crate::session::Session;

pub mod account;
pub mod api_tokens;
pub mod audit;
pub mod billing;
pub mod members;
pub mod not_found;
pub mod numbers;
pub mod sign_in;
pub mod tenant_connection;
pub mod users;
pub mod voice_profiles;
pub mod webhooks;

/// Props of a page that calls the API as the signed-in user.
#[derive(Properties, PartialEq)]
pub struct SignedInPageProps {
    pub session: Rc<Session>,
}
