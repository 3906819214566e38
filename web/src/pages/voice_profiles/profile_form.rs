//! Creating or changing a profile: its name, where its numbers come from, one Teams policy per
//! type (a name Teams reports in use, or any other typed in; "Global" leaves the type out), the
//! emergency location, and whether it is the default. Teams checks the names on save; a refusal
//! is shown here, in Teams' terms.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use shared::numbers::NumberBlock;
use shared::problem::ConflictCode;
use shared::voice_profiles::{
    EmergencyLocation, NewVoiceProfile, NumberSource, PolicyChoice, PolicyType, ProfileChoices,
    VoiceProfile, VoiceProfilePatch,
};
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::profiles_table::block_name;
use crate::api::{self, ApiError};
use crate::components::form::{input_value, is_checked, selected_value};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::hooks::Api;

/// The `<select>` value that reveals a text field for a name not in the list.
const OTHER: &str = "__other";

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum SourceKind {
    #[default]
    Any,
    Block,
    Location,
    Country,
}

impl SourceKind {
    const ALL: [SourceKind; 4] = [
        SourceKind::Any,
        SourceKind::Block,
        SourceKind::Location,
        SourceKind::Country,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SourceKind::Any => "any",
            SourceKind::Block => "block",
            SourceKind::Location => "location",
            SourceKind::Country => "country",
        }
    }

    fn label(self) -> &'static str {
        match self {
            SourceKind::Any => "Any: the user's usage-location country, else the account's",
            SourceKind::Block => "A number block",
            SourceKind::Location => "A location",
            SourceKind::Country => "A country",
        }
    }

    fn parse(s: &str) -> SourceKind {
        SourceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_default()
    }
}

/// A choice among names: one of the list, or [`OTHER`] with `typed`. Empty `chosen` means none.
#[derive(Clone, PartialEq, Default)]
struct Pick {
    chosen: String,
    typed: String,
}

impl Pick {
    fn of(name: &str) -> Pick {
        Pick {
            chosen: name.to_owned(),
            typed: String::new(),
        }
    }

    /// The name picked; `None` for none.
    fn value(&self) -> Option<String> {
        let value = if self.chosen == OTHER {
            self.typed.trim()
        } else {
            self.chosen.trim()
        };
        (!value.is_empty()).then(|| value.to_owned())
    }

    fn wants_typing(&self) -> bool {
        self.chosen == OTHER
    }
}

#[derive(Clone, PartialEq, Default)]
struct Draft {
    name: String,
    source: SourceKind,
    block: String,
    location: String,
    country: String,
    policies: BTreeMap<PolicyType, Pick>,
    emergency: Pick,
    emergency_label: String,
    is_default: bool,
    default_for_blocks: BTreeSet<Uuid>,
}

impl Draft {
    fn of(profile: &VoiceProfile) -> Draft {
        let mut draft = Draft {
            name: profile.name.clone(),
            is_default: profile.is_default,
            default_for_blocks: profile.default_for_blocks.iter().copied().collect(),
            ..Draft::default()
        };
        match &profile.number_source {
            NumberSource::Any => {}
            NumberSource::Block { block_id } => {
                draft.source = SourceKind::Block;
                draft.block = block_id.to_string();
            }
            NumberSource::Location { location } => {
                draft.source = SourceKind::Location;
                draft.location = location.clone();
            }
            NumberSource::Country { country } => {
                draft.source = SourceKind::Country;
                draft.country = country.clone();
            }
        }
        for policy in &profile.policies {
            draft
                .policies
                .insert(policy.policy_type, Pick::of(&policy.name));
        }
        if let Some(location) = &profile.emergency_location {
            draft.emergency = Pick::of(&location.location_id);
            draft.emergency_label = location.label.clone().unwrap_or_default();
        }
        draft
    }

    /// What the draft asks for, or why it cannot be sent yet.
    fn checked(&self) -> Result<Checked, &'static str> {
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err("Give the profile a name.");
        }
        let number_source = match self.source {
            SourceKind::Any => NumberSource::Any,
            SourceKind::Block => NumberSource::Block {
                block_id: Uuid::parse_str(&self.block)
                    .map_err(|_| "Choose the number block its numbers come from.")?,
            },
            SourceKind::Location => match self.location.trim() {
                "" => return Err("Enter the location its numbers come from."),
                location => NumberSource::Location {
                    location: location.to_owned(),
                },
            },
            SourceKind::Country => {
                let country = self.country.trim().to_uppercase();
                if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                    return Err("Enter the country as two letters, e.g. US.");
                }
                NumberSource::Country { country }
            }
        };
        let mut policies = Vec::new();
        for policy_type in PolicyType::ALL {
            let Some(pick) = self.policies.get(&policy_type) else {
                continue;
            };
            match pick.value() {
                Some(name) => policies.push(PolicyChoice { policy_type, name }),
                None if pick.wants_typing() => {
                    return Err(
                        "Type the name of each policy chosen as \"Other\", or choose Global.",
                    )
                }
                None => {}
            }
        }
        let emergency_location = match self.emergency.value() {
            None if self.emergency.wants_typing() => {
                return Err("Type the emergency location's id, or choose None.")
            }
            None => None,
            Some(location_id) => {
                // Teams' LIS location ids are GUIDs: catch a pasted description early.
                if Uuid::parse_str(&location_id).is_err() {
                    return Err("An emergency location id is a GUID, e.g. 9a1c2e34-5b6d-4f70-8a9b-0c1d2e3f4a5b (Get-CsOnlineLisLocation shows it).");
                }
                let label = self.emergency_label.trim();
                Some(EmergencyLocation {
                    location_id,
                    label: (!label.is_empty()).then(|| label.to_owned()),
                })
            }
        };
        Ok(Checked {
            name,
            number_source,
            policies,
            emergency_location,
            is_default: self.is_default,
            default_for_blocks: self.default_for_blocks.iter().copied().collect(),
        })
    }
}

struct Checked {
    name: String,
    number_source: NumberSource,
    policies: Vec<PolicyChoice>,
    emergency_location: Option<EmergencyLocation>,
    is_default: bool,
    default_for_blocks: Vec<Uuid>,
}

#[derive(Properties, PartialEq)]
pub struct ProfileFormProps {
    pub api: Api,
    /// The profile changed; `None` for a new one.
    pub profile: Option<VoiceProfile>,
    /// What Teams offers; `None` while it is being read.
    pub choices: Option<Result<ProfileChoices, ApiError>>,
    pub blocks: Rc<Vec<NumberBlock>>,
    pub on_saved: Callback<VoiceProfile>,
    pub on_cancel: Callback<()>,
}

#[component]
pub fn ProfileForm(props: &ProfileFormProps) -> Html {
    let draft = {
        let profile = props.profile.clone();
        use_state(move || profile.as_ref().map(Draft::of).unwrap_or_default())
    };
    let saving = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let invalid = use_state(|| None::<&'static str>);

    let edit = |change: fn(&mut Draft, String)| {
        let (draft, invalid) = (draft.clone(), invalid.clone());
        Callback::from(move |value: String| {
            let mut next = (*draft).clone();
            change(&mut next, value);
            draft.set(next);
            invalid.set(None);
        })
    };
    let typed = |change: fn(&mut Draft, String)| {
        edit(change).reform(|event: InputEvent| input_value(&event))
    };
    let chosen =
        |change: fn(&mut Draft, String)| edit(change).reform(|event: Event| selected_value(&event));

    let on_submit = {
        let (api, on_saved, original) = (
            props.api.clone(),
            props.on_saved.clone(),
            props.profile.clone(),
        );
        let (draft, saving, error, invalid) = (
            draft.clone(),
            saving.clone(),
            error.clone(),
            invalid.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *saving {
                return;
            }
            let checked = match draft.checked() {
                Ok(checked) => checked,
                Err(message) => return invalid.set(Some(message)),
            };
            saving.set(true);
            error.set(None);
            invalid.set(None);
            let (api, on_saved, original) = (api.clone(), on_saved.clone(), original.clone());
            let (saving, error) = (saving.clone(), error.clone());
            spawn_local(async move {
                let saved = match &original {
                    None => {
                        let body = NewVoiceProfile {
                            name: checked.name,
                            number_source: checked.number_source,
                            policies: checked.policies,
                            emergency_location: checked.emergency_location,
                            is_default: checked.is_default,
                            default_for_blocks: checked.default_for_blocks,
                        };
                        api::create_voice_profile(api.token(), &body).await
                    }
                    Some(profile) => {
                        let body = VoiceProfilePatch {
                            name: Some(checked.name),
                            number_source: Some(checked.number_source),
                            policies: Some(checked.policies),
                            emergency_location: Some(checked.emergency_location),
                            // Only a change: the default is moved by making another one default.
                            is_default: (checked.is_default != profile.is_default)
                                .then_some(checked.is_default),
                            default_for_blocks: Some(checked.default_for_blocks),
                        };
                        api::update_voice_profile(api.token(), profile.id, &body).await
                    }
                };
                saving.set(false);
                match saved {
                    Ok(profile) => on_saved.emit(profile),
                    Err(failure) => error.set(api.check(failure)),
                }
            });
        })
    };
    let on_cancel = props.on_cancel.reform(|_: MouseEvent| ());

    let choices = match &props.choices {
        Some(Ok(choices)) => Some(choices),
        _ => None,
    };
    let name_taken =
        error.as_ref().and_then(ApiError::conflict) == Some(ConflictCode::ProfileNameTaken);
    let title = match &props.profile {
        None => "New voice profile".to_owned(),
        Some(profile) => format!("Edit {}", profile.name),
    };

    html! {
        <form id="voice-profile-form" class="card form voice-profile-form" onsubmit={on_submit}>
            <h2>{ title }</h2>
            { choices_note(props.choices.as_ref()) }

            <div class="field">
                <label for="profile-name">{ "Name" }</label>
                <input
                    id="profile-name"
                    type="text"
                    maxlength="100"
                    placeholder="e.g. US Direct Routing"
                    autocomplete="off"
                    aria-invalid={name_taken.then_some("true")}
                    value={draft.name.clone()}
                    oninput={typed(|d, v| d.name = v)}
                />
                if name_taken {
                    <p class="hint" id="profile-name-taken">{ "Another profile has this name: choose another." }</p>
                }
            </div>

            <fieldset class="choice-group profile-source">
                <legend>{ "Where its numbers come from (auto-select)" }</legend>
                <div class="inline-fields">
                    <div class="field grow">
                        <label for="profile-source-kind">{ "Numbers from" }</label>
                        <select id="profile-source-kind" onchange={chosen(|d, v| d.source = SourceKind::parse(&v))}>
                            { for SourceKind::ALL.into_iter().map(|kind| html! {
                                <option value={kind.as_str()} selected={draft.source == kind}>{ kind.label() }</option>
                            }) }
                        </select>
                    </div>
                    { match draft.source {
                        SourceKind::Any => Html::default(),
                        SourceKind::Block => html! {
                            <div class="field grow">
                                <label for="profile-source-block">{ "Block" }</label>
                                <select id="profile-source-block" onchange={chosen(|d, v| d.block = v)}>
                                    <option value="" selected={draft.block.is_empty()}>{ "Choose a block" }</option>
                                    { for props.blocks.iter().map(|block| html! {
                                        <option value={block.id.to_string()} selected={draft.block == block.id.to_string()}>
                                            { block_name(block) }
                                        </option>
                                    }) }
                                </select>
                            </div>
                        },
                        SourceKind::Location => html! {
                            <div class="field grow">
                                <label for="profile-source-location">{ "Location (as loaded with the numbers)" }</label>
                                <input id="profile-source-location" type="text" list="profile-block-locations"
                                    placeholder="e.g. Seattle" value={draft.location.clone()}
                                    oninput={typed(|d, v| d.location = v)} />
                                <datalist id="profile-block-locations">
                                    { for block_locations(&props.blocks).into_iter().map(|location| html! {
                                        <option value={location} />
                                    }) }
                                </datalist>
                            </div>
                        },
                        SourceKind::Country => html! {
                            <div class="field narrow-field">
                                <label for="profile-source-country">{ "Country" }</label>
                                <input id="profile-source-country" type="text" maxlength="2" placeholder="US"
                                    autocomplete="off" value={draft.country.clone()}
                                    oninput={typed(|d, v| d.country = v)} />
                            </div>
                        },
                    } }
                </div>
            </fieldset>

            <fieldset class="choice-group profile-policies">
                <legend>{ "Teams policies" }</legend>
                <p class="hint">{ "Global leaves the user on the tenant's org-wide policy of that type." }</p>
                { for PolicyType::ALL.into_iter().map(|policy_type| policy_field(&draft, &invalid, choices, policy_type)) }
            </fieldset>

            <fieldset class="choice-group profile-emergency">
                <legend>{ "Emergency location" }</legend>
                { emergency_field(&draft, &invalid, choices) }
            </fieldset>

            <label class="checkbox-field" for="profile-default">
                <input
                    type="checkbox"
                    id="profile-default"
                    checked={draft.is_default}
                    onchange={{
                        let (draft, invalid) = (draft.clone(), invalid.clone());
                        Callback::from(move |event: Event| {
                            let mut next = (*draft).clone();
                            next.is_default = is_checked(&event);
                            draft.set(next);
                            invalid.set(None);
                        })
                    }}
                />
                { "The account's default profile (used when a change names none)" }
            </label>
            if !props.blocks.is_empty() {
                <fieldset class="choice-group profile-default-blocks">
                    <legend>{ "Default for the numbers of these blocks" }</legend>
                    { for props.blocks.iter().map(|block| {
                        let id = block.id;
                        let field_id = format!("profile-default-block-{id}");
                        let onchange = {
                            let draft = draft.clone();
                            Callback::from(move |event: Event| {
                                let mut next = (*draft).clone();
                                if is_checked(&event) {
                                    next.default_for_blocks.insert(id);
                                } else {
                                    next.default_for_blocks.remove(&id);
                                }
                                draft.set(next);
                            })
                        };
                        html! {
                            <label class="checkbox-field" for={field_id.clone()}>
                                <input type="checkbox" id={field_id} checked={draft.default_for_blocks.contains(&id)} {onchange} />
                                { block_name(block) }
                            </label>
                        }
                    }) }
                </fieldset>
            }

            if let Some(message) = *invalid {
                <ErrorBanner {message} />
            }
            <div id="voice-profile-form-error">
                <ProblemBanner error={(*error).clone()} />
            </div>
            <div class="form-actions">
                <button id="voice-profile-save" type="submit" class="button primary" disabled={*saving}>
                    { if *saving { "Checking with Teams…" } else if props.profile.is_some() { "Save changes" } else { "Create profile" } }
                </button>
                <button id="voice-profile-cancel" type="button" class="button secondary" disabled={*saving} onclick={on_cancel}>
                    { "Cancel" }
                </button>
            </div>
        </form>
    }
}

/// The distinct locations the blocks were loaded with.
fn block_locations(blocks: &[NumberBlock]) -> BTreeSet<String> {
    blocks
        .iter()
        .filter_map(|b| b.location.clone())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// Whether Teams' choices are there; when they could not be read, that names can still be typed.
fn choices_note(choices: Option<&Result<ProfileChoices, ApiError>>) -> Html {
    match choices {
        None => {
            html! { <p class="hint" id="profile-choices-loading">{ "Reading the policies and locations in use in Teams…" }</p> }
        }
        Some(Ok(_)) => html! {
            <p class="hint">{ "The lists offer the policies in effect on your users and the locations on your numbers, as Teams reports them. Choose \"Other\" to type any other name." }</p>
        },
        Some(Err(error)) => {
            let why = match error.conflict() {
                Some(ConflictCode::TenantNotConnected | ConflictCode::NotConnected) => {
                    "Your Microsoft tenant is not connected, so Teams' policies cannot be listed."
                        .to_owned()
                }
                Some(ConflictCode::MissingPermission | ConflictCode::ConsentRequired) => format!(
                    "{} Until then, Teams' policies cannot be listed.",
                    error.message()
                ),
                _ => format!("Teams' policies could not be read: {}", error.message()),
            };
            html! {
                <p class="banner warning" id="profile-choices-error">
                    { why }{ " Type the names as they are in the Teams admin center." }
                </p>
            }
        }
    }
}

fn policy_field(
    draft: &UseStateHandle<Draft>,
    invalid: &UseStateHandle<Option<&'static str>>,
    choices: Option<&ProfileChoices>,
    policy_type: PolicyType,
) -> Html {
    let pick = draft
        .policies
        .get(&policy_type)
        .cloned()
        .unwrap_or_default();
    // The names Teams reports in use, and the one saved, so that it shows as chosen.
    let mut names: Vec<(String, Option<u64>)> = choices
        .map(|c| {
            c.policies
                .iter()
                .filter(|p| p.policy_type == policy_type)
                .map(|p| (p.name.clone(), Some(p.users)))
                .collect()
        })
        .unwrap_or_default();
    if !pick.chosen.is_empty()
        && pick.chosen != OTHER
        && !names.iter().any(|(n, _)| *n == pick.chosen)
    {
        names.push((pick.chosen.clone(), None));
    }
    let id = format!("profile-policy-{}", policy_type.as_str());
    let typed_id = format!("{id}-name");
    let on_choose = {
        let (draft, invalid) = (draft.clone(), invalid.clone());
        Callback::from(move |event: Event| {
            let mut next = (*draft).clone();
            let entry = next.policies.entry(policy_type).or_default();
            entry.chosen = selected_value(&event);
            draft.set(next);
            invalid.set(None);
        })
    };
    let on_type = {
        let (draft, invalid) = (draft.clone(), invalid.clone());
        Callback::from(move |event: InputEvent| {
            let mut next = (*draft).clone();
            next.policies.entry(policy_type).or_default().typed = input_value(&event);
            draft.set(next);
            invalid.set(None);
        })
    };
    html! {
        <div class="inline-fields policy-field" data-policy-type={policy_type.as_str()}>
            <div class="field grow">
                <label for={id.clone()} title={policy_type.as_str()}>{ policy_type.label() }</label>
                <select id={id} class="policy-select" onchange={on_choose}>
                    <option value="" selected={pick.chosen.is_empty()}>{ "Global (org-wide default)" }</option>
                    { for names.iter().map(|(name, users)| html! {
                        <option value={name.clone()} selected={pick.chosen == *name}>
                            { match users {
                                Some(1) => format!("{name} (1 user)"),
                                Some(n) => format!("{name} ({n} users)"),
                                None => name.clone(),
                            } }
                        </option>
                    }) }
                    <option value={OTHER} selected={pick.wants_typing()}>{ "Other: type a name…" }</option>
                </select>
            </div>
            if pick.wants_typing() {
                <div class="field grow">
                    <label for={typed_id.clone()}>{ "Name in Teams" }</label>
                    <input id={typed_id} type="text" class="policy-name-input" autocomplete="off"
                        placeholder={format!("e.g. the {} name", policy_type.as_str())}
                        value={pick.typed.clone()} oninput={on_type} />
                </div>
            }
        </div>
    }
}

fn emergency_field(
    draft: &UseStateHandle<Draft>,
    invalid: &UseStateHandle<Option<&'static str>>,
    choices: Option<&ProfileChoices>,
) -> Html {
    let pick = draft.emergency.clone();
    let mut locations: Vec<(String, Option<u64>)> = choices
        .map(|c| {
            c.locations
                .iter()
                .map(|l| (l.location_id.clone(), Some(l.numbers)))
                .collect()
        })
        .unwrap_or_default();
    if !pick.chosen.is_empty()
        && pick.chosen != OTHER
        && !locations.iter().any(|(id, _)| *id == pick.chosen)
    {
        locations.push((pick.chosen.clone(), None));
    }
    let edit = |change: fn(&mut Draft, String)| {
        let (draft, invalid) = (draft.clone(), invalid.clone());
        Callback::from(move |value: String| {
            let mut next = (*draft).clone();
            change(&mut next, value);
            draft.set(next);
            invalid.set(None);
        })
    };
    html! {
        <div class="inline-fields">
            <div class="field grow">
                <label for="profile-location">{ "Teams LIS location" }</label>
                <select id="profile-location" onchange={edit(|d, v| d.emergency.chosen = v).reform(|e: Event| selected_value(&e))}>
                    <option value="" selected={pick.chosen.is_empty()}>{ "None" }</option>
                    { for locations.iter().map(|(id, numbers)| html! {
                        <option value={id.clone()} selected={pick.chosen == *id}>
                            { match numbers {
                                Some(1) => format!("{id} (on 1 number)"),
                                Some(n) => format!("{id} (on {n} numbers)"),
                                None => id.clone(),
                            } }
                        </option>
                    }) }
                    <option value={OTHER} selected={pick.wants_typing()}>{ "Other: enter its id…" }</option>
                </select>
            </div>
            if pick.wants_typing() {
                <div class="field grow">
                    <label for="profile-location-id">{ "Location id (GUID)" }</label>
                    <input id="profile-location-id" type="text" class="mono" autocomplete="off"
                        placeholder="9a1c2e34-5b6d-4f70-8a9b-0c1d2e3f4a5b"
                        value={pick.typed.clone()}
                        oninput={edit(|d, v| d.emergency.typed = v).reform(|e: InputEvent| input_value(&e))} />
                </div>
            }
            if !pick.chosen.is_empty() {
                <div class="field grow">
                    <label for="profile-location-label">{ "Label (for people)" }</label>
                    <input id="profile-location-label" type="text" autocomplete="off"
                        placeholder="e.g. Seattle HQ" value={draft.emergency_label.clone()}
                        oninput={edit(|d, v| d.emergency_label = v).reform(|e: InputEvent| input_value(&e))} />
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Draft {
        Draft {
            name: name.to_owned(),
            ..Draft::default()
        }
    }

    #[test]
    fn global_leaves_the_type_out_and_other_sends_the_typed_name() {
        let mut draft = named(" US profile ");
        draft
            .policies
            .insert(PolicyType::OnlineVoiceRoutingPolicy, Pick::of("US-Route"));
        draft
            .policies
            .insert(PolicyType::TenantDialPlan, Pick::of(""));
        draft.policies.insert(
            PolicyType::CallingLineIdentity,
            Pick {
                chosen: OTHER.to_owned(),
                typed: " Anonymous ".to_owned(),
            },
        );
        let checked = draft.checked().unwrap();
        assert_eq!(checked.name, "US profile");
        assert_eq!(
            checked.policies,
            vec![
                PolicyChoice {
                    policy_type: PolicyType::OnlineVoiceRoutingPolicy,
                    name: "US-Route".to_owned()
                },
                PolicyChoice {
                    policy_type: PolicyType::CallingLineIdentity,
                    name: "Anonymous".to_owned()
                },
            ]
        );
        assert_eq!(checked.number_source, NumberSource::Any);
        assert_eq!(checked.emergency_location, None);
    }

    #[test]
    fn what_cannot_be_sent_is_named() {
        assert!(named("  ").checked().is_err());

        let mut other_left_blank = named("P");
        other_left_blank.policies.insert(
            PolicyType::TenantDialPlan,
            Pick {
                chosen: OTHER.to_owned(),
                typed: " ".to_owned(),
            },
        );
        assert!(other_left_blank.checked().is_err());

        let mut not_a_guid = named("P");
        not_a_guid.emergency = Pick {
            chosen: OTHER.to_owned(),
            typed: "Seattle HQ".to_owned(),
        };
        assert!(not_a_guid.checked().is_err());

        let mut bad_country = named("P");
        bad_country.source = SourceKind::Country;
        bad_country.country = "USA".to_owned();
        assert!(bad_country.checked().is_err());

        let mut no_block = named("P");
        no_block.source = SourceKind::Block;
        assert!(no_block.checked().is_err());
    }

    #[test]
    fn a_location_keeps_its_label_and_a_country_is_upper_cased() {
        let mut draft = named("P");
        draft.source = SourceKind::Country;
        draft.country = "us".to_owned();
        draft.emergency = Pick::of("9a1c2e34-5b6d-4f70-8a9b-0c1d2e3f4a5b");
        draft.emergency_label = " Seattle HQ ".to_owned();
        let checked = draft.checked().unwrap();
        assert_eq!(
            checked.number_source,
            NumberSource::Country {
                country: "US".to_owned()
            }
        );
        assert_eq!(
            checked.emergency_location,
            Some(EmergencyLocation {
                location_id: "9a1c2e34-5b6d-4f70-8a9b-0c1d2e3f4a5b".to_owned(),
                label: Some("Seattle HQ".to_owned()),
            })
        );
    }
}
