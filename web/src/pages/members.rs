//! Members: the people who can sign in to this account. Admins invite, change roles, remove.

use std::rc::Rc;

use shared::auth::Me;
use shared::members::{
    InviteMemberRequest, InvitedMember, Member, MemberStatus, UpdateMemberRequest,
};
use shared::role::Role;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::input_value;
use crate::components::problem_banner::ProblemBanner;
use crate::components::role_select::RoleSelect;
use crate::components::secret_callout::SecretCallout;
use crate::format;
use crate::pages::SignedInPageProps;
use crate::session::{use_unauthorized_guard, SessionAction, SessionHandle, UnauthorizedGuard};

#[derive(Clone, PartialEq)]
struct MembersState {
    /// `None` until the first load answers.
    members: Option<Vec<Member>>,
    error: Option<ApiError>,
    invite_email: String,
    invite_role: Role,
    inviting: bool,
    /// The last invitation, with its one-time password.
    invited: Option<InvitedMember>,
    /// The member whose removal awaits confirmation.
    confirming_removal: Option<Uuid>,
    /// The member with a change in flight.
    busy_member: Option<Uuid>,
    /// Bumped when a role change fails, so the row's select shows the real role again.
    revision: u32,
}

impl Default for MembersState {
    fn default() -> Self {
        MembersState {
            members: None,
            error: None,
            invite_email: String::new(),
            invite_role: Role::Staff,
            inviting: false,
            invited: None,
            confirming_removal: None,
            busy_member: None,
            revision: 0,
        }
    }
}

enum Action {
    Loaded(Vec<Member>),
    Failed(ApiError),
    InviteEmail(String),
    InviteRole(Role),
    Inviting,
    Invited(InvitedMember),
    DismissInvited,
    Busy(Uuid),
    Updated(Member),
    AskRemoval(Uuid),
    CancelRemoval,
    Removed(Uuid),
}

impl Reducible for MembersState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(members) => {
                next.members = Some(members);
                next.error = None;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.inviting = false;
                next.busy_member = None;
                next.confirming_removal = None;
                next.revision = next.revision.wrapping_add(1);
            }
            Action::InviteEmail(email) => next.invite_email = email,
            Action::InviteRole(role) => next.invite_role = role,
            Action::Inviting => {
                next.inviting = true;
                next.error = None;
                next.invited = None;
            }
            Action::Invited(invited) => {
                if let Some(members) = &mut next.members {
                    members.push(invited.member.clone());
                }
                next.invited = Some(invited);
                next.inviting = false;
                next.invite_email.clear();
            }
            Action::DismissInvited => next.invited = None,
            Action::Busy(id) => {
                next.busy_member = Some(id);
                next.error = None;
            }
            Action::Updated(member) => {
                if let Some(members) = &mut next.members {
                    if let Some(row) = members.iter_mut().find(|row| row.id == member.id) {
                        *row = member;
                    }
                }
                next.busy_member = None;
            }
            Action::AskRemoval(id) => {
                next.confirming_removal = Some(id);
                next.error = None;
            }
            Action::CancelRemoval => next.confirming_removal = None,
            Action::Removed(id) => {
                if let Some(members) = &mut next.members {
                    members.retain(|row| row.id != id);
                }
                next.busy_member = None;
                next.confirming_removal = None;
            }
        }
        Rc::new(next)
    }
}

/// Reports a failed call to the page, unless it ended the session.
fn fail(state: &UseReducerDispatcher<MembersState>, guard: &UnauthorizedGuard, error: ApiError) {
    if let Some(error) = guard.check(error) {
        state.dispatch(Action::Failed(error));
    }
}

#[component]
pub fn MembersPage(props: &SignedInPageProps) -> Html {
    let state = use_reducer(MembersState::default);
    let guard = use_unauthorized_guard();
    let session_handle = use_context::<SessionHandle>();
    let token = props.session.access_token.clone();
    let me = props.session.me.clone();
    let is_admin = props.session.is_admin();

    {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                // Every page: the table shows all members.
                let members = match api::list_members(&token).await {
                    Ok(first) => api::rest_of(&token, first).await,
                    Err(error) => Err(error),
                };
                match members {
                    Ok(members) => state.dispatch(Action::Loaded(members)),
                    Err(error) => fail(&state, &guard, error),
                }
            });
        });
    }

    let on_invite = {
        let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.inviting {
                return;
            }
            let request = InviteMemberRequest {
                email: state.invite_email.trim().to_owned(),
                role: state.invite_role,
            };
            state.dispatch(Action::Inviting);
            let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::invite_member(&token, &request).await {
                    Ok(invited) => state.dispatch(Action::Invited(invited)),
                    Err(error) => fail(&state, &guard, error),
                }
            });
        })
    };

    let on_role_change = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        let (session_handle, me) = (session_handle.clone(), me.clone());
        Callback::from(move |(id, role): (Uuid, Role)| {
            state.dispatch(Action::Busy(id));
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            let (session_handle, me) = (session_handle.clone(), me.clone());
            spawn_local(async move {
                match api::update_member(&token, id, &UpdateMemberRequest { role }).await {
                    Ok(member) => {
                        if member.id == me.id {
                            refresh_own_role(session_handle.as_ref(), &me, member.role);
                        }
                        state.dispatch(Action::Updated(member));
                    }
                    Err(error) => fail(&state, &guard, error),
                }
            });
        })
    };

    let on_remove = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        Callback::from(move |id: Uuid| {
            state.dispatch(Action::Busy(id));
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::remove_member(&token, id).await {
                    Ok(()) => state.dispatch(Action::Removed(id)),
                    Err(error) => fail(&state, &guard, error),
                }
            });
        })
    };

    let dispatcher = state.dispatcher();
    let on_invite_email = {
        let state = dispatcher.clone();
        Callback::from(move |event: InputEvent| {
            state.dispatch(Action::InviteEmail(input_value(&event)))
        })
    };
    let on_invite_role = {
        let state = dispatcher.clone();
        Callback::from(move |role: Role| state.dispatch(Action::InviteRole(role)))
    };
    let on_confirming = {
        let state = dispatcher.clone();
        Callback::from(move |id: Option<Uuid>| {
            state.dispatch(match id {
                Some(id) => Action::AskRemoval(id),
                None => Action::CancelRemoval,
            })
        })
    };
    let on_dismiss_invited = {
        let state = dispatcher.clone();
        Callback::from(move |()| state.dispatch(Action::DismissInvited))
    };

    html! {
        <section class="page">
            <header class="page-header">
                <h1>{ "Members" }</h1>
                <p class="muted">
                    { "The people who can sign in to this account, and what each may do. \
                       Admins manage everything; staff manage phone service; viewers only look." }
                </p>
            </header>

            <ProblemBanner error={state.error.clone()} />

            if let Some(invited) = &state.invited {
                <SecretCallout
                    key={invited.temporary_password.clone()}
                    id="temporary-password"
                    title={format!("{} has been added", invited.member.email)}
                    secret={invited.temporary_password.clone()}
                    hint={format!(
                        "Copy this temporary password now and pass it to {} securely; \
                         they sign in with it and then choose their own.",
                        invited.member.email
                    )}
                    ondismiss={on_dismiss_invited}
                />
            }

            if is_admin {
                <form id="invite-form" class="card form inline-form" onsubmit={on_invite}>
                    <h2>{ "Invite a member" }</h2>
                    <div class="inline-fields">
                        <div class="field grow">
                            <label for="invite-email">{ "Email" }</label>
                            <input
                                id="invite-email"
                                type="email"
                                required=true
                                placeholder="name@example.com"
                                value={state.invite_email.clone()}
                                oninput={on_invite_email}
                            />
                        </div>
                        <div class="field">
                            <label for="invite-role">{ "Role" }</label>
                            <RoleSelect
                                id="invite-role"
                                value={state.invite_role}
                                onchange={on_invite_role}
                            />
                        </div>
                        <button
                            id="invite-submit"
                            type="submit"
                            class="button primary"
                            disabled={state.inviting}
                        >
                            { "Invite" }
                        </button>
                    </div>
                </form>
            }

            <div class="card table-card">
                { match &state.members {
                    None if state.error.is_some() => html! {},
                    None => html! { <p class="loading">{ "Loading members…" }</p> },
                    Some(members) if members.is_empty() => html! {
                        <p class="empty">{ "No members yet." }</p>
                    },
                    Some(members) => html! {
                        <table id="members-table" class="table">
                            <thead>
                                <tr>
                                    <th>{ "Email" }</th>
                                    <th>{ "Role" }</th>
                                    <th>{ "Added" }</th>
                                    if is_admin {
                                        <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                                    }
                                </tr>
                            </thead>
                            <tbody>
                                { for members.iter().map(|member| html! {
                                    <MemberRow
                                        key={format!("{}:{}", member.id, state.revision)}
                                        member={member.clone()}
                                        is_me={member.id == me.id}
                                        {is_admin}
                                        busy={state.busy_member == Some(member.id)}
                                        confirming={state.confirming_removal == Some(member.id)}
                                        on_role_change={on_role_change.clone()}
                                        on_remove={on_remove.clone()}
                                        on_confirming={on_confirming.clone()}
                                    />
                                }) }
                            </tbody>
                        </table>
                    },
                } }
            </div>
        </section>
    }
}

/// After changing one's own role, the session's `Me` says so too (the nav follows).
fn refresh_own_role(handle: Option<&SessionHandle>, me: &Me, role: Role) {
    if let Some(handle) = handle {
        handle.dispatch(SessionAction::Refreshed(Me { role, ..me.clone() }));
    }
}

#[derive(Properties, PartialEq)]
struct MemberRowProps {
    member: Member,
    is_me: bool,
    is_admin: bool,
    busy: bool,
    confirming: bool,
    on_role_change: Callback<(Uuid, Role)>,
    on_remove: Callback<Uuid>,
    /// `Some(id)` asks to confirm removing that member; `None` cancels.
    on_confirming: Callback<Option<Uuid>>,
}

#[component]
fn MemberRow(props: &MemberRowProps) -> Html {
    let member = &props.member;
    let id = member.id;
    let onchange = props.on_role_change.reform(move |role| (id, role));
    let ask = props.on_confirming.reform(move |_: MouseEvent| Some(id));
    let cancel = props.on_confirming.reform(|_: MouseEvent| None);
    let confirm = props.on_remove.reform(move |_: MouseEvent| id);

    html! {
        <tr data-member-id={id.to_string()} data-email={member.email.clone()}>
            <td class="member-email">
                { member.email.clone() }
                if props.is_me {
                    { " " }
                    <span class="you">{ "you" }</span>
                }
                if member.status == MemberStatus::Invited {
                    { " " }
                    <span class="status status-revoked member-invited"
                        title="Has not signed in with the one-time password yet; it expires unused.">
                        { "invited" }
                    </span>
                }
            </td>
            <td class="member-role">
                if props.is_admin {
                    <RoleSelect
                        class="role-select"
                        value={member.role}
                        disabled={props.busy}
                        aria_label={format!("Role of {}", member.email)}
                        {onchange}
                    />
                } else {
                    { member.role.label() }
                }
            </td>
            <td class="member-added">{ format::date(&member.created_at) }</td>
            if props.is_admin {
                <td class="actions">
                    if props.confirming {
                        <span class="confirm-text">{ "Remove this member?" }</span>
                        <button type="button" class="button danger small confirm-remove"
                            disabled={props.busy} onclick={confirm}>
                            { "Remove" }
                        </button>
                        <button type="button" class="button secondary small cancel-remove"
                            disabled={props.busy} onclick={cancel}>
                            { "Cancel" }
                        </button>
                    } else {
                        <button type="button" class="button secondary small remove-member"
                            disabled={props.busy} onclick={ask}>
                            { "Remove" }
                        </button>
                    }
                </td>
            }
        </tr>
    }
}
