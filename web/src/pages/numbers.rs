//! Numbers: the inventory's capacity (per block, location and country, with low-stock
//! warnings), the numbers themselves with their holders and conflicts, and, for admins,
//! loading new numbers.

mod capacity;
mod filters;
mod load_form;
mod table;

use std::collections::HashMap;
use std::rc::Rc;

use shared::numbers::{Capacity, CapacityGroup, CapacityScope, NumberBlock, PhoneNumber};
use shared::paging::Page;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError, NumberFilter};
use crate::components::list_card::ListCard;
use crate::components::pager::Pager;
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::{use_api, use_paged_list, ListAction, ListControls, ListQuery};
use crate::pages::SignedInPageProps;
use capacity::CapacitySection;
use filters::NumberFilters;
use load_form::LoadForm;
use table::NumbersTable;

impl ListQuery for NumberFilter {
    type Item = PhoneNumber;

    async fn first_page(&self, token: &str) -> Result<Page<PhoneNumber>, ApiError> {
        api::list_numbers(token, self).await
    }

    fn same(a: &PhoneNumber, b: &PhoneNumber) -> bool {
        a.number == b.number
    }
}

/// Each block's name for the table and the block filter: its label, else its range.
fn block_names(blocks: &[NumberBlock]) -> HashMap<Uuid, String> {
    blocks
        .iter()
        .map(|block| {
            let range = format!("{} – {}", block.first, block.last);
            let name = match &block.label {
                Some(label) if !label.trim().is_empty() => format!("{label} ({range})"),
                _ => range,
            };
            (block.id, name)
        })
        .collect()
}

#[component]
pub fn NumbersPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let list = use_paged_list(&api, NumberFilter::default());
    let capacity = use_state(|| None::<Capacity>);
    let blocks = use_state(|| Rc::new(HashMap::<Uuid, String>::new()));
    let error = use_state(|| None::<ApiError>);
    // Bumped after a load: capacity and blocks are fetched again.
    let revision = use_state(|| 0u32);

    {
        let (api, capacity, blocks, error) =
            (api.clone(), capacity.clone(), blocks.clone(), error.clone());
        use_effect_with(*revision, move |_| {
            spawn_local(async move {
                let answers = (
                    api::capacity(api.token()).await,
                    match api::list_number_blocks(api.token()).await {
                        Ok(first) => api::rest_of(api.token(), first).await,
                        Err(error) => Err(error),
                    },
                );
                match answers {
                    (Ok(found), Ok(all_blocks)) => {
                        capacity.set(Some(found));
                        blocks.set(Rc::new(block_names(&all_blocks)));
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        if let Some(failure) = api.check(failure) {
                            error.set(Some(failure));
                        }
                    }
                }
            });
        });
    }

    let dispatcher = list.dispatcher();
    let ListControls {
        on_edit,
        on_apply,
        on_first,
        on_next,
    } = ListControls::new(&list);
    let on_show = {
        let (list, limit) = (dispatcher.clone(), list.draft.limit);
        Callback::from(move |group: CapacityGroup| {
            let mut filter = NumberFilter {
                limit,
                ..NumberFilter::default()
            };
            match group.scope {
                CapacityScope::Block => filter.block_id = group.key.parse().ok(),
                CapacityScope::Country => filter.country = group.key,
                CapacityScope::Location => filter.location = group.key,
            }
            list.dispatch(ListAction::Apply(filter));
            scroll_to("numbers-list");
        })
    };
    let on_loaded = {
        let (list, revision) = (dispatcher.clone(), revision.clone());
        Callback::from(move |()| {
            revision.set(revision.wrapping_add(1));
            list.dispatch(ListAction::Reload);
        })
    };

    html! {
        <section class="page numbers-page">
            <header class="page-header">
                <h1>{ "Numbers" }</h1>
                <p class="muted">
                    { "Your number inventory: which numbers are available, reserved, assigned or ageing, \
                       where you are running low, and where Teams disagrees with the portal." }
                </p>
            </header>

            <ProblemBanner error={(*error).clone()} />

            <CapacitySection capacity={(*capacity).clone()} {on_show} />

            <div id="numbers-list" class="numbers-list">
                <h2 class="section-title">{ "All numbers" }</h2>
                <NumberFilters filter={list.draft.clone()} blocks={(*blocks).clone()} {on_edit} {on_apply} />
                <div id="numbers-list-error">
                    <ProblemBanner error={list.error.clone()} />
                </div>
                <ListCard
                    count={list.items.as_ref().map(Vec::len)}
                    failed={list.error.is_some()}
                    busy={list.loading}
                    loading_text="Loading numbers…"
                    empty_text={if list.applied == NumberFilter::default() {
                        "No numbers yet. An admin loads them below."
                    } else {
                        "No number matches these filters."
                    }}
                >
                    <NumbersTable
                        numbers={list.items.clone().unwrap_or_default()}
                        blocks={(*blocks).clone()}
                    />
                </ListCard>
                <Pager
                    id="numbers"
                    page_number={list.page_number}
                    has_next={list.next.is_some()}
                    busy={list.loading}
                    {on_first}
                    {on_next}
                />
            </div>

            if props.session.is_admin() {
                <LoadForm api={api.clone()} {on_loaded} />
            }
        </section>
    }
}

/// Brings a part of the page into view (after a choice far above it).
fn scroll_to(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id(id))
    {
        element.scroll_into_view();
    }
}
