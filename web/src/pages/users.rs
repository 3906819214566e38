//! Users: the tenant's directory as last synced, each user's phone service, and adding or
//! removing it (one by one, or in bulk) for staff and admins.

mod bulk_panel;
mod filters;
mod profile_select;
mod sync_panel;
mod user_row;

use std::collections::BTreeSet;
use std::rc::Rc;

use shared::directory::DirectoryUser;
use shared::paging::Page;
use shared::voice_profiles::VoiceProfile;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError, UserFilter};
use crate::components::list_card::ListCard;
use crate::components::pager::Pager;
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::{use_api, use_paged_list, ListAction, ListControls, ListQuery};
use crate::pages::SignedInPageProps;
use bulk_panel::BulkPanel;
use filters::UserFilters;
use sync_panel::SyncPanel;
use user_row::UserRow;

impl ListQuery for UserFilter {
    type Item = DirectoryUser;

    async fn first_page(&self, token: &str) -> Result<Page<DirectoryUser>, ApiError> {
        api::list_users(token, self).await
    }

    fn same(a: &DirectoryUser, b: &DirectoryUser) -> bool {
        a.id == b.id
    }
}

#[component]
pub fn UsersPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let list = use_paged_list(&api, UserFilter::default());
    let can_manage = props.session.can_manage_phone_service();
    // The user principal names ticked on the page shown.
    let selected = use_state(BTreeSet::<String>::new);
    // Why the last action on a row failed.
    let action_error = use_state(|| None::<ApiError>);
    // The voice profiles a change can apply (and the names of those users have).
    let profiles = use_state(|| Rc::new(Vec::<VoiceProfile>::new()));

    {
        let (api, profiles, action_error) = (api.clone(), profiles.clone(), action_error.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                match api::list_voice_profiles(api.token()).await {
                    Ok(found) => profiles.set(Rc::new(found)),
                    Err(error) if error.is_unauthorized() => action_error.set(api.check(error)),
                    // Not worth a banner: without the list, a change applies the account's
                    // default profile, as the API does when none is named.
                    Err(_) => {}
                }
            });
        });
    }

    // A new page or filter starts with nothing ticked.
    {
        let selected = selected.clone();
        use_effect_with(list.request(), move |_| selected.set(BTreeSet::new()));
    }

    let dispatcher = list.dispatcher();
    let reload = {
        let list = dispatcher.clone();
        Callback::from(move |()| list.dispatch(ListAction::Reload))
    };
    let ListControls {
        on_edit,
        on_apply,
        on_first,
        on_next,
    } = ListControls::new(&list);
    let on_updated = {
        let list = dispatcher.clone();
        Callback::from(move |user: DirectoryUser| list.dispatch(ListAction::Replace(user)))
    };
    let on_error = {
        let action_error = action_error.clone();
        Callback::from(move |error: Option<ApiError>| action_error.set(error))
    };
    let on_select = {
        let selected = selected.clone();
        Callback::from(move |(upn, ticked): (String, bool)| {
            let mut next = (*selected).clone();
            if ticked {
                next.insert(upn);
            } else {
                next.remove(&upn);
            }
            selected.set(next);
        })
    };
    let on_select_all = {
        let (selected, items) = (selected.clone(), list.items.clone().unwrap_or_default());
        Callback::from(move |event: Event| {
            selected.set(if crate::components::form::is_checked(&event) {
                items
                    .iter()
                    .map(|u| u.user_principal_name.clone())
                    .collect()
            } else {
                BTreeSet::new()
            })
        })
    };
    let on_bulk_started = {
        let selected = selected.clone();
        Callback::from(move |()| selected.set(BTreeSet::new()))
    };

    let users = list.items.as_deref().unwrap_or_default();
    let all_ticked = !users.is_empty()
        && users
            .iter()
            .all(|u| selected.contains(&u.user_principal_name));

    html! {
        <section class="page users-page">
            <header class="page-header">
                <h1>{ "Users" }</h1>
                <p class="muted">
                    { "The users of your Microsoft tenant, as last synced, and their Teams phone service. " }
                    if can_manage {
                        { "Add service and the user gets an available number, with the voice profile's Teams policies and emergency location, in one change; you see what would happen first. No Teams administrator needed." }
                    } else {
                        { "Your role can look but not change phone service." }
                    }
                </p>
            </header>

            <SyncPanel api={api.clone()} can_sync={can_manage} on_synced={reload.clone()} />

            <div id="users-action-error">
                <ProblemBanner error={(*action_error).clone()} />
            </div>

            if can_manage {
                <BulkPanel
                    api={api.clone()}
                    selected={selected.iter().cloned().collect::<Vec<_>>()}
                    profiles={Rc::clone(&*profiles)}
                    can_roll_back={props.session.is_admin()}
                    on_started={on_bulk_started}
                    on_finished={reload}
                />
            }

            <UserFilters filter={list.draft.clone()} {on_edit} {on_apply} />

            <div id="users-list-error">
                <ProblemBanner error={list.error.clone()} />
            </div>

            <ListCard
                count={list.items.as_ref().map(Vec::len)}
                failed={list.error.is_some()}
                busy={list.loading}
                loading_text="Loading users…"
                empty_text={if list.applied == UserFilter::default() {
                    "No users yet. Sync the directory to see your tenant's users."
                } else {
                    "No user matches these filters."
                }}
            >
                <table id="users-table" class="table users-table">
                    <thead>
                        <tr>
                            if can_manage {
                                <th class="select">
                                    <input
                                        type="checkbox"
                                        id="select-all-users"
                                        aria-label="Select every user on this page"
                                        checked={all_ticked}
                                        onchange={on_select_all}
                                    />
                                </th>
                            }
                            <th>{ "Name" }</th>
                            <th>{ "User principal name" }</th>
                            <th>{ "Usage location" }</th>
                            <th>{ "Licence" }</th>
                            <th>{ "Number" }</th>
                            <th>{ "Phone service" }</th>
                            if can_manage {
                                <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                            }
                        </tr>
                    </thead>
                    <tbody>
                        { for users.iter().map(|user| html! {
                            <UserRow
                                key={user.id.clone()}
                                user={user.clone()}
                                api={api.clone()}
                                {can_manage}
                                selected={selected.contains(&user.user_principal_name)}
                                profiles={Rc::clone(&*profiles)}
                                on_select={on_select.clone()}
                                on_updated={on_updated.clone()}
                                on_error={on_error.clone()}
                            />
                        }) }
                    </tbody>
                </table>
            </ListCard>
            <Pager
                id="users"
                page_number={list.page_number}
                has_next={list.next.is_some()}
                busy={list.loading}
                {on_first}
                {on_next}
            />
        </section>
    }
}
