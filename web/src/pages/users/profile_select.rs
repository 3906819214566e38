//! The voice profile a change applies: the account's default is preselected. Without a default
//! profile, "number only" is offered too (the server then applies no profile).

use std::rc::Rc;

use shared::voice_profiles::VoiceProfile;
use uuid::Uuid;
use yew::prelude::*;

use crate::components::form::selected_value;

#[derive(Properties, PartialEq)]
pub struct ProfileSelectProps {
    pub id: AttrValue,
    pub profiles: Rc<Vec<VoiceProfile>>,
    /// The profile chosen; `None` shows the default (or "number only") chosen.
    pub chosen: Option<Uuid>,
    #[prop_or_default]
    pub disabled: bool,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
    /// `None`: the default.
    pub on_choose: Callback<Option<Uuid>>,
}

#[component]
pub fn ProfileSelect(props: &ProfileSelectProps) -> Html {
    let default = props.profiles.iter().find(|p| p.is_default).map(|p| p.id);
    let shown = props.chosen.or(default);
    let onchange = props
        .on_choose
        .reform(|event: Event| Uuid::parse_str(&selected_value(&event)).ok());
    html! {
        <select
            id={props.id.clone()}
            class={props.class.clone()}
            aria-label={props.aria_label.clone()}
            disabled={props.disabled}
            {onchange}
        >
            if default.is_none() {
                <option value="" selected={shown.is_none()}>{ "No profile: number only" }</option>
            }
            { for props.profiles.iter().map(|profile| html! {
                <option value={profile.id.to_string()} selected={shown == Some(profile.id)}>
                    { if profile.is_default {
                        format!("{} (default)", profile.name)
                    } else {
                        profile.name.clone()
                    } }
                </option>
            }) }
        </select>
    }
}
