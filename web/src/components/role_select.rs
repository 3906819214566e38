//! A `<select>` over the three roles.

use shared::role::Role;
use yew::prelude::*;

use crate::components::form::selected_role;

#[derive(Properties, PartialEq)]
pub struct RoleSelectProps {
    pub value: Role,
    pub onchange: Callback<Role>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub disabled: bool,
    /// For a select without a visible `<label>`.
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
}

#[component]
pub fn RoleSelect(props: &RoleSelectProps) -> Html {
    let onchange = {
        let onchange = props.onchange.clone();
        Callback::from(move |event: Event| {
            if let Some(role) = selected_role(&event) {
                onchange.emit(role);
            }
        })
    };
    html! {
        <select
            id={props.id.clone()}
            class={props.class.clone()}
            disabled={props.disabled}
            aria-label={props.aria_label.clone()}
            {onchange}
        >
            { for Role::ALL.into_iter().map(|role| html! {
                <option value={role.as_str()} selected={role == props.value}>
                    { role.label() }
                </option>
            }) }
        </select>
    }
}
