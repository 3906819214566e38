//! Users: not yet available.

use yew::prelude::*;

use crate::components::not_yet_available::NotYetAvailable;

#[component]
pub fn UsersPage() -> Html {
    html! {
        <NotYetAvailable
            title="Users"
            summary="See the users synced from your Microsoft tenant and add phone service for them, with an available number selected automatically, without needing to be a Teams administrator."
        />
    }
}
