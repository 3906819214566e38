//! The audit log: every event of the account, newest first, narrowed by who did it, which user,
//! which number, what kind of event and when.

mod actors;
mod filters;
mod table;

use shared::audit::AuditEvent;
use shared::paging::Page;
use yew::prelude::*;

use crate::api::{self, ApiError, AuditFilter};
use crate::components::list_card::ListCard;
use crate::components::pager::Pager;
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::{use_api, use_paged_list, ListControls, ListQuery};
use crate::pages::SignedInPageProps;
use actors::use_actor_choices;
use filters::AuditFilters;
use table::AuditTable;

impl ListQuery for AuditFilter {
    type Item = AuditEvent;

    async fn first_page(&self, token: &str) -> Result<Page<AuditEvent>, ApiError> {
        // People know users by their principal name; the log, by their object id.
        let filter = if self.user_is_upn() {
            match api::get_user(token, self.user.trim()).await {
                Ok(user) => self.with_user_id(user.id),
                Err(error) if error.status() == Some(404) => return Ok(Page::last(Vec::new())),
                Err(error) => return Err(error),
            }
        } else {
            self.clone()
        };
        api::list_audit_events(token, &filter).await
    }

    fn same(a: &AuditEvent, b: &AuditEvent) -> bool {
        a.id == b.id
    }
}

#[component]
pub fn AuditPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let list = use_paged_list(&api, AuditFilter::default());
    let actors = use_actor_choices(&api, props.session.is_admin());
    let ListControls {
        on_edit,
        on_apply,
        on_first,
        on_next,
    } = ListControls::new(&list);
    // A click on an actor or a user in the table narrows the log to them.
    let on_narrow = {
        let (on_apply, draft) = (on_apply.clone(), list.draft.clone());
        Callback::from(move |change: table::Narrow| {
            let mut next = draft.clone();
            match change {
                table::Narrow::Actor(actor) => next.actor = actor,
                table::Narrow::User(user) => next.user = user,
                table::Narrow::Number(number) => next.number = number,
            }
            on_apply.emit(next);
        })
    };

    html! {
        <section class="page audit-page">
            <header class="page-header">
                <h1>{ "Audit log" }</h1>
                <p class="muted">
                    { "Every change to your tenant connection, your numbers and your users' phone service, \
                       with who made it and when, newest first. Events are never changed or removed." }
                </p>
            </header>

            <AuditFilters filter={list.draft.clone()} actors={actors} {on_edit} {on_apply} />

            <div id="audit-list-error">
                <ProblemBanner error={list.error.clone()} />
            </div>

            <ListCard
                count={list.items.as_ref().map(Vec::len)}
                failed={list.error.is_some()}
                busy={list.loading}
                loading_text="Loading events…"
                empty_text={if list.applied.is_filtered() {
                    "No event matches these filters."
                } else {
                    "No events yet."
                }}
            >
                <AuditTable
                    events={list.items.clone().unwrap_or_default()}
                    {on_narrow}
                />
            </ListCard>
            <Pager
                id="audit"
                page_number={list.page_number}
                has_next={list.next.is_some()}
                busy={list.loading}
                {on_first}
                {on_next}
            />
        </section>
    }
}
