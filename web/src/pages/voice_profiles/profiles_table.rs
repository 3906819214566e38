//! The account's profiles: number source, policies, emergency location, default, how many users
//! have service from each, and what an admin must do by hand.

use std::rc::Rc;

use shared::numbers::NumberBlock;
use shared::voice_profiles::{NumberSource, VoiceProfile};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProfilesTableProps {
    pub profiles: Vec<VoiceProfile>,
    pub blocks: Rc<Vec<NumberBlock>>,
    /// Admins: edit and delete.
    pub can_edit: bool,
    /// The profile with a deletion in flight.
    pub busy: Option<Uuid>,
    pub confirming_delete: Option<Uuid>,
    pub on_edit: Callback<Uuid>,
    pub on_delete: Callback<Uuid>,
    /// `Some(id)` asks to confirm deleting it; `None` cancels.
    pub on_confirming: Callback<Option<Uuid>>,
}

/// A block's name: its label, else its range.
pub fn block_name(block: &NumberBlock) -> String {
    let range = format!("{} – {}", block.first, block.last);
    match &block.label {
        Some(label) if !label.trim().is_empty() => format!("{label} ({range})"),
        _ => range,
    }
}

fn named_block(blocks: &[NumberBlock], id: Uuid) -> String {
    blocks
        .iter()
        .find(|b| b.id == id)
        .map(block_name)
        .unwrap_or_else(|| id.to_string())
}

/// Where a profile's numbers come from, in words.
pub fn number_source(source: &NumberSource, blocks: &[NumberBlock]) -> String {
    match source {
        NumberSource::Any => "Any: the user's country, else the account's".to_owned(),
        NumberSource::Block { block_id } => format!("Block {}", named_block(blocks, *block_id)),
        NumberSource::Location { location } => format!("Location {location}"),
        NumberSource::Country { country } => format!("Country {country}"),
    }
}

fn source_kind(source: &NumberSource) -> &'static str {
    match source {
        NumberSource::Any => "any",
        NumberSource::Block { .. } => "block",
        NumberSource::Location { .. } => "location",
        NumberSource::Country { .. } => "country",
    }
}

#[component]
pub fn ProfilesTable(props: &ProfilesTableProps) -> Html {
    html! {
        <table id="voice-profiles-table" class="table voice-profiles-table">
            <thead>
                <tr>
                    <th>{ "Name" }</th>
                    <th>{ "Numbers from" }</th>
                    <th>{ "Teams policies" }</th>
                    <th>{ "Emergency location" }</th>
                    <th>{ "Default" }</th>
                    <th class="numeric">{ "Users" }</th>
                    if props.can_edit {
                        <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                    }
                </tr>
            </thead>
            <tbody>
                { for props.profiles.iter().map(|profile| row(props, profile)) }
            </tbody>
        </table>
    }
}

fn row(props: &ProfilesTableProps, profile: &VoiceProfile) -> Html {
    let id = profile.id;
    let busy = props.busy == Some(id);
    let edit = props.on_edit.reform(move |_: MouseEvent| id);
    let ask = props.on_confirming.reform(move |_: MouseEvent| Some(id));
    let cancel = props.on_confirming.reform(|_: MouseEvent| None);
    let delete = props.on_delete.reform(move |_: MouseEvent| id);
    html! {
        <tr
            key={id.to_string()}
            class="voice-profile"
            data-profile-id={id.to_string()}
            data-name={profile.name.clone()}
            data-default={profile.is_default.to_string()}
        >
            <td class="profile-name">
                { profile.name.clone() }
                if !profile.warnings.is_empty() {
                    <ul class="profile-warnings">
                        { for profile.warnings.iter().map(|warning| html! {
                            <li class="profile-warning">{ warning.clone() }</li>
                        }) }
                    </ul>
                }
            </td>
            <td class="profile-source" data-kind={source_kind(&profile.number_source)}>
                { number_source(&profile.number_source, &props.blocks) }
            </td>
            <td class="profile-policies">
                if profile.policies.is_empty() {
                    <span class="muted">{ "Global (org-wide defaults)" }</span>
                } else {
                    <ul class="policy-list">
                        { for profile.policies.iter().map(|policy| html! {
                            <li
                                class="profile-policy"
                                data-policy-type={policy.policy_type.as_str()}
                                data-manual={policy.manual.to_string()}
                                title={policy.policy_type.as_str()}
                            >
                                <span class="policy-type">{ policy.policy_type.label() }</span>
                                { ": " }
                                <span class="policy-name">{ policy.name.clone() }</span>
                                if policy.manual {
                                    { " " }<span class="tag warning-tag">{ "Assign in Teams admin center" }</span>
                                }
                            </li>
                        }) }
                    </ul>
                }
            </td>
            <td class="profile-location">
                { match &profile.emergency_location {
                    None => html! { <span class="muted">{ "None" }</span> },
                    Some(location) => html! {
                        <>
                            if let Some(label) = location.label.as_ref().filter(|l| !l.trim().is_empty()) {
                                <span class="location-label">{ label.clone() }</span>
                            }
                            <code class="location-id">{ location.location_id.clone() }</code>
                        </>
                    },
                } }
            </td>
            <td class="profile-default">
                if profile.is_default {
                    <span class="tag">{ "Account default" }</span>
                }
                if !profile.default_for_blocks.is_empty() {
                    <ul class="policy-list">
                        { for profile.default_for_blocks.iter().map(|block| html! {
                            <li class="muted">{ format!("Block {}", named_block(&props.blocks, *block)) }</li>
                        }) }
                    </ul>
                }
                if !profile.is_default && profile.default_for_blocks.is_empty() {
                    <span class="muted">{ "—" }</span>
                }
            </td>
            <td class="numeric profile-users">{ profile.users }</td>
            if props.can_edit {
                <td class="actions">
                    <div class="endpoint-actions">
                    if props.confirming_delete == Some(id) {
                        <span class="confirm-text">{ format!("Delete {}?", profile.name) }</span>
                        <button type="button" class="button danger small confirm-delete-profile" disabled={busy} onclick={delete}>
                            { if busy { "Deleting…" } else { "Delete" } }
                        </button>
                        <button type="button" class="button secondary small cancel-delete-profile" disabled={busy} onclick={cancel}>
                            { "Cancel" }
                        </button>
                    } else {
                        <button type="button" class="button secondary small edit-profile" disabled={busy} onclick={edit}>
                            { "Edit" }
                        </button>
                        <button type="button" class="button secondary small delete-profile" disabled={busy} onclick={ask}
                            title={(profile.users > 0).then(|| format!("{} users have service from this profile", profile.users))}>
                            { "Delete" }
                        </button>
                    }
                    </div>
                </td>
            }
        </tr>
    }
}
