//! Replaces the current history entry with a route, so Back does not bounce the user here.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ReplaceProps {
    pub to: Route,
}

#[component]
pub fn Replace(props: &ReplaceProps) -> Html {
    let navigator = use_navigator();
    let to = props.to;
    use_effect_with(to, move |to| {
        if let Some(navigator) = navigator {
            navigator.replace(to);
        }
    });
    Html::default()
}
