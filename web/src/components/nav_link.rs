//! A side-navigation link that marks the current page.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct NavLinkProps {
    pub to: Route,
    pub id: AttrValue,
    pub label: AttrValue,
}

#[component]
pub fn NavLink(props: &NavLinkProps) -> Html {
    let navigator = use_navigator();
    let current = use_route::<Route>();
    let active = current == Some(props.to);

    let onclick = {
        let to = props.to;
        Callback::from(move |event: MouseEvent| {
            // Let the browser open new tabs and windows itself.
            if event.ctrl_key() || event.meta_key() || event.shift_key() || event.button() != 0 {
                return;
            }
            if let Some(navigator) = &navigator {
                event.prevent_default();
                navigator.push(&to);
            }
        })
    };

    html! {
        <a
            id={props.id.clone()}
            href={props.to.to_path()}
            class={classes!("nav-link", active.then_some("active"))}
            aria-current={active.then_some("page")}
            {onclick}
        >
            { props.label.clone() }
        </a>
    }
}
