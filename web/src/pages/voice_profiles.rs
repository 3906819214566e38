//! Voice profiles: what phone service gives a user besides a number (the Teams voice policies
//! and the emergency location) and where its numbers come from. Everyone reads them; admins
//! create, change and delete them.

mod profile_form;
mod profiles_table;

use std::rc::Rc;

use shared::numbers::NumberBlock;
use shared::problem::ConflictCode;
use shared::voice_profiles::{ProfileChoices, VoiceProfile};
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::hooks::{use_api, Api};
use crate::pages::SignedInPageProps;
use profile_form::ProfileForm;
use profiles_table::ProfilesTable;

/// What the form is for.
#[derive(Clone, Copy, PartialEq)]
enum Editing {
    New,
    Profile(Uuid),
}

#[derive(Clone, PartialEq, Default)]
struct ProfilesState {
    /// `None` until the first load answers.
    profiles: Option<Vec<VoiceProfile>>,
    error: Option<ApiError>,
    /// The choices Teams offers (admins only); `Err` when Teams could not be read.
    choices: Option<Result<ProfileChoices, ApiError>>,
    blocks: Rc<Vec<NumberBlock>>,
    editing: Option<Editing>,
    /// The profile with a deletion in flight.
    busy: Option<Uuid>,
    confirming_delete: Option<Uuid>,
    /// Said after a save or a deletion.
    notice: Option<String>,
}

enum Action {
    Loaded(Vec<VoiceProfile>),
    Failed(ApiError),
    Choices(Result<ProfileChoices, ApiError>),
    Blocks(Vec<NumberBlock>),
    Edit(Option<Editing>),
    Saved(VoiceProfile),
    AskDelete(Option<Uuid>),
    Deleting(Uuid),
    Deleted(Uuid),
}

impl Reducible for ProfilesState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(profiles) => {
                next.profiles = Some(profiles);
                next.error = None;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.busy = None;
                next.confirming_delete = None;
            }
            Action::Choices(choices) => next.choices = Some(choices),
            Action::Blocks(blocks) => next.blocks = Rc::new(blocks),
            Action::Edit(editing) => {
                next.editing = editing;
                next.confirming_delete = None;
                next.notice = None;
                next.error = None;
            }
            Action::Saved(saved) => {
                let profiles = next.profiles.get_or_insert_with(Vec::new);
                // A new default: the previous one stops being the default.
                if saved.is_default {
                    for profile in profiles.iter_mut() {
                        profile.is_default = false;
                    }
                }
                match profiles.iter_mut().find(|p| p.id == saved.id) {
                    Some(row) => *row = saved.clone(),
                    None => profiles.push(saved.clone()),
                }
                next.notice = Some(format!("Profile {} saved.", saved.name));
                next.editing = None;
            }
            Action::AskDelete(id) => {
                next.confirming_delete = id;
                next.error = None;
                next.notice = None;
            }
            Action::Deleting(id) => {
                next.busy = Some(id);
                next.error = None;
            }
            Action::Deleted(id) => {
                if let Some(profiles) = &mut next.profiles {
                    if let Some(gone) = profiles.iter().find(|p| p.id == id) {
                        next.notice = Some(format!("Profile {} deleted.", gone.name));
                    }
                    profiles.retain(|p| p.id != id);
                }
                if next.editing == Some(Editing::Profile(id)) {
                    next.editing = None;
                }
                next.busy = None;
                next.confirming_delete = None;
            }
        }
        Rc::new(next)
    }
}

fn fail(state: &UseReducerDispatcher<ProfilesState>, api: &Api, error: ApiError) {
    if let Some(error) = api.check(error) {
        state.dispatch(Action::Failed(error));
    }
}

#[component]
pub fn VoiceProfilesPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let state = use_reducer(ProfilesState::default);
    let is_admin = props.session.is_admin();

    {
        let (state, api) = (state.dispatcher(), api.clone());
        use_effect_with(is_admin, move |&is_admin| {
            spawn_local(async move {
                let token = api.token();
                match api::list_voice_profiles(token).await {
                    Ok(profiles) => state.dispatch(Action::Loaded(profiles)),
                    Err(error) => fail(&state, &api, error),
                }
                // Block names for the number sources; without them the ids are shown.
                if let Ok(first) = api::list_number_blocks(token).await {
                    if let Ok(blocks) = api::rest_of(token, first).await {
                        state.dispatch(Action::Blocks(blocks));
                    }
                }
                if is_admin {
                    // Read from Teams: when that fails, the form says why and names can be typed.
                    match api::profile_choices(token).await {
                        Err(error) if error.is_unauthorized() => {
                            let _ = api.check(error);
                        }
                        choices => state.dispatch(Action::Choices(choices)),
                    }
                }
            });
        });
    }

    let dispatcher = state.dispatcher();
    let on_new = {
        let state = dispatcher.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Edit(Some(Editing::New))))
    };
    let on_edit = {
        let state = dispatcher.clone();
        Callback::from(move |id: Uuid| state.dispatch(Action::Edit(Some(Editing::Profile(id)))))
    };
    let on_cancel = {
        let state = dispatcher.clone();
        Callback::from(move |()| state.dispatch(Action::Edit(None)))
    };
    let on_saved = {
        let state = dispatcher.clone();
        Callback::from(move |profile: VoiceProfile| state.dispatch(Action::Saved(profile)))
    };
    let on_confirming = {
        let state = dispatcher.clone();
        Callback::from(move |id: Option<Uuid>| state.dispatch(Action::AskDelete(id)))
    };
    let on_delete = {
        let (state, api) = (dispatcher.clone(), api.clone());
        Callback::from(move |id: Uuid| {
            state.dispatch(Action::Deleting(id));
            let (state, api) = (state.clone(), api.clone());
            spawn_local(async move {
                match api::delete_voice_profile(api.token(), id).await {
                    Ok(()) => state.dispatch(Action::Deleted(id)),
                    Err(error) => fail(&state, &api, error),
                }
            });
        })
    };

    let editing_profile = match state.editing {
        Some(Editing::Profile(id)) => state
            .profiles
            .iter()
            .flatten()
            .find(|p| p.id == id)
            .cloned(),
        _ => None,
    };
    let form_key = match state.editing {
        Some(Editing::Profile(id)) => id.to_string(),
        _ => "new".to_owned(),
    };

    html! {
        <section class="page voice-profiles-page">
            <header class="page-header">
                <h1>{ "Voice profiles" }</h1>
                <p class="muted">
                    { "A profile is what phone service gives a user besides a number: the Teams voice policies \
                       (routing, dial plan, caller ID, emergency) and the emergency location, set together with the \
                       number in one change. It also says where its numbers come from. " }
                    if is_admin {
                        { "Policies and locations are created in the Teams admin center or PowerShell; here you pick them by name." }
                    } else {
                        { "Admins create and change profiles; your role can look." }
                    }
                </p>
            </header>

            <div id="voice-profiles-error">
                { delete_refusal(state.error.as_ref()) }
            </div>
            if let Some(notice) = &state.notice {
                <p id="voice-profiles-notice" class="banner success" role="status">{ notice.clone() }</p>
            }

            if is_admin {
                if let Some(editing) = state.editing {
                    <ProfileForm
                        key={form_key}
                        api={api.clone()}
                        profile={if editing == Editing::New { None } else { editing_profile }}
                        choices={state.choices.clone()}
                        blocks={Rc::clone(&state.blocks)}
                        {on_saved}
                        {on_cancel}
                    />
                } else {
                    <div class="form-actions">
                        <button id="new-voice-profile" type="button" class="button primary" onclick={on_new}>
                            { "New profile" }
                        </button>
                    </div>
                }
            }

            <h2 class="section-title">{ "Profiles" }</h2>
            <div class="card table-card">
                { match &state.profiles {
                    None if state.error.is_some() => Html::default(),
                    None => html! { <p class="loading">{ "Loading profiles…" }</p> },
                    Some(list) if list.is_empty() => html! {
                        <p class="empty" id="voice-profiles-empty">
                            { if is_admin {
                                "No profiles yet. Without one, phone service gives a number only. Add one above."
                            } else {
                                "No profiles yet. Without one, phone service gives a number only."
                            } }
                        </p>
                    },
                    Some(list) => html! {
                        <ProfilesTable
                            profiles={list.clone()}
                            blocks={Rc::clone(&state.blocks)}
                            can_edit={is_admin}
                            busy={state.busy}
                            confirming_delete={state.confirming_delete}
                            {on_edit}
                            {on_delete}
                            {on_confirming}
                        />
                    },
                } }
            </div>
        </section>
    }
}

/// Why the last load or deletion failed; a profile still in use is explained as such.
fn delete_refusal(error: Option<&ApiError>) -> Html {
    match error {
        Some(error) if error.conflict() == Some(ConflictCode::ProfileInUse) => html! {
            <ErrorBanner
                message={format!(
                    "{} Give those users another profile, or remove their service, first.",
                    error.message()
                )}
                reference={error.request_id().map(|id| AttrValue::from(id.to_owned()))}
            />
        },
        error => html! { <ProblemBanner error={error.cloned()} /> },
    }
}
