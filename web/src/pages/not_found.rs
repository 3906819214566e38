//! Any path the app does not know.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

#[component]
pub fn NotFoundPage() -> Html {
    html! {
        <div class="centered">
            <div class="card narrow" id="not-found">
                <h1>{ "Page not found" }</h1>
                <p>{ "There is no page at this address. It may have moved, or the link may be mistyped." }</p>
                <Link<Route> to={Route::TenantConnection} classes="button primary">
                    { "Go to Tenant connection" }
                </Link<Route>>
            </div>
        </div>
    }
}
