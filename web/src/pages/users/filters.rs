//! The users list's search box and filters. Typing applies after a pause (or on Enter); a
//! choice in a select applies at once.

use shared::directory::ServiceState;
use yew::prelude::*;

use crate::api::UserFilter;
use crate::components::form::{input_value, selected_value};
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct UserFiltersProps {
    /// What the form shows.
    pub filter: UserFilter,
    /// Typing: applied after a pause.
    pub on_edit: Callback<UserFilter>,
    /// A choice, Enter, or "Clear": applied now.
    pub on_apply: Callback<UserFilter>,
}

#[component]
pub fn UserFilters(props: &UserFiltersProps) -> Html {
    let filter = &props.filter;
    let edit = |change: fn(&mut UserFilter, String)| {
        let (on_edit, filter) = (props.on_edit.clone(), filter.clone());
        Callback::from(move |event: InputEvent| {
            let mut next = filter.clone();
            change(&mut next, input_value(&event));
            on_edit.emit(next);
        })
    };
    let choose = |change: fn(&mut UserFilter, String)| {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: Event| {
            let mut next = filter.clone();
            change(&mut next, selected_value(&event));
            on_apply.emit(next);
        })
    };
    let on_submit = {
        let (on_apply, filter) = (props.on_apply.clone(), filter.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_apply.emit(filter.clone());
        })
    };
    let on_clear = {
        let (on_apply, limit) = (props.on_apply.clone(), filter.limit);
        Callback::from(move |_: MouseEvent| {
            on_apply.emit(UserFilter {
                limit,
                ..UserFilter::default()
            })
        })
    };
    let filtered = *filter
        != UserFilter {
            limit: filter.limit,
            ..UserFilter::default()
        };

    html! {
        <form id="users-filters" class="card filters" onsubmit={on_submit} role="search">
            <div class="field grow">
                <label for="user-search">{ "Search" }</label>
                <input
                    id="user-search"
                    type="search"
                    placeholder="Name, user principal name or number"
                    value={filter.q.clone()}
                    oninput={edit(|f, v| f.q = v)}
                />
            </div>
            <div class="field">
                <label for="filter-service">{ "Phone service" }</label>
                <select id="filter-service" onchange={choose(|f, v| f.service = ServiceState::parse(&v))}>
                    <option value="" selected={filter.service.is_none()}>{ "Any" }</option>
                    { for ServiceState::ALL.into_iter().map(|state| html! {
                        <option value={state.as_str()} selected={filter.service == Some(state)}>
                            { labels::service_state_filter(state) }
                        </option>
                    }) }
                </select>
            </div>
            <div class="field">
                <label for="filter-licensed">{ "Teams Phone licence" }</label>
                <select id="filter-licensed" onchange={choose(|f, v| f.licensed = v.parse().ok())}>
                    <option value="" selected={filter.licensed.is_none()}>{ "Any" }</option>
                    <option value="true" selected={filter.licensed == Some(true)}>{ "Licensed" }</option>
                    <option value="false" selected={filter.licensed == Some(false)}>{ "Not licensed" }</option>
                </select>
            </div>
            <div class="field narrow-field">
                <label for="filter-usage-location">{ "Usage location" }</label>
                <input
                    id="filter-usage-location"
                    type="text"
                    placeholder="e.g. US"
                    maxlength="2"
                    autocomplete="off"
                    value={filter.usage_location.clone()}
                    oninput={edit(|f, v| f.usage_location = v)}
                />
            </div>
            <div class="filter-actions">
                <button type="submit" class="visually-hidden" tabindex="-1">{ "Search" }</button>
                if filtered {
                    <button id="clear-filters" type="button" class="button secondary" onclick={on_clear}>
                        { "Clear filters" }
                    </button>
                }
            </div>
        </form>
    }
}
