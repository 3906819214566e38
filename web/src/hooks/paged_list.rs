//! A cursor-paged list behind a filter form: what the form says, what the list shows, which
//! page, and the fetch that keeps them in step. Typing is applied after a pause; answers to
//! fetches that were overtaken are dropped.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::paging::Page;
use yew::platform::spawn_local;
use yew::platform::time::sleep;
use yew::prelude::*;

use super::Api;
use crate::api::{self, ApiError};

/// How long typing must pause before the list follows the form.
const TYPING_PAUSE: Duration = Duration::from_millis(350);

/// A filter of a list endpoint.
pub trait ListQuery: Clone + PartialEq + 'static {
    type Item: Clone + PartialEq + DeserializeOwned + 'static;

    /// The first page of the items this filter matches.
    fn first_page(&self, token: &str) -> impl Future<Output = Result<Page<Self::Item>, ApiError>>;

    /// Whether two items are the same thing (to replace one in place).
    fn same(a: &Self::Item, b: &Self::Item) -> bool;
}

#[derive(Clone, PartialEq)]
pub struct PagedList<Q: ListQuery> {
    /// What the filter form says.
    pub draft: Q,
    /// What the list shows.
    pub applied: Q,
    /// Counts changes to the form; a pause after the latest applies it.
    edits: u32,
    /// The page shown: `None` for the first, else the `next` that led to it.
    cursor: Option<String>,
    /// 1 for the first page.
    pub page_number: u32,
    /// Counts fetches; only the answer to the latest is taken.
    request: u32,
    /// `None` until the first page answers.
    pub items: Option<Vec<Q::Item>>,
    pub next: Option<String>,
    pub loading: bool,
    pub error: Option<ApiError>,
}

impl<Q: ListQuery> PagedList<Q> {
    fn new(filter: Q) -> Self {
        PagedList {
            draft: filter.clone(),
            applied: filter,
            edits: 0,
            cursor: None,
            page_number: 1,
            request: 0,
            items: None,
            next: None,
            loading: true,
            error: None,
        }
    }

    /// Which fetch the page is on (changes with each page, filter or reload).
    pub fn request(&self) -> u32 {
        self.request
    }

    fn fetch(&mut self) {
        self.request = self.request.wrapping_add(1);
        self.loading = true;
        self.error = None;
    }

    fn apply(&mut self) {
        if self.applied != self.draft {
            self.applied = self.draft.clone();
            self.cursor = None;
            self.page_number = 1;
            self.fetch();
        }
    }
}

pub enum ListAction<Q: ListQuery> {
    /// The form changed by typing: the list follows after a pause.
    Edit(Q),
    /// The form changed by a choice (a select, a checkbox, Enter): the list follows now.
    Apply(Q),
    /// Typing paused after the given change.
    Settle(u32),
    NextPage,
    FirstPage,
    /// Fetch the page shown again.
    Reload,
    Loaded {
        request: u32,
        page: Page<Q::Item>,
    },
    Failed {
        request: u32,
        error: ApiError,
    },
    /// An item changed (e.g. after an action on its row).
    Replace(Q::Item),
}

impl<Q: ListQuery> Reducible for PagedList<Q> {
    type Action = ListAction<Q>;

    fn reduce(self: Rc<Self>, action: ListAction<Q>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ListAction::Edit(filter) => {
                next.draft = filter;
                next.edits = next.edits.wrapping_add(1);
            }
            ListAction::Apply(filter) => {
                next.draft = filter;
                next.apply();
            }
            ListAction::Settle(edits) => {
                if edits != next.edits {
                    return self;
                }
                next.apply();
            }
            ListAction::NextPage => {
                let Some(cursor) = next.next.clone() else {
                    return self;
                };
                next.cursor = Some(cursor);
                next.page_number += 1;
                next.fetch();
            }
            ListAction::FirstPage => {
                next.cursor = None;
                next.page_number = 1;
                next.fetch();
            }
            ListAction::Reload => next.fetch(),
            ListAction::Loaded { request, page } => {
                if request != next.request {
                    return self;
                }
                next.items = Some(page.items);
                next.next = page.next;
                next.loading = false;
            }
            ListAction::Failed { request, error } => {
                if request != next.request {
                    return self;
                }
                next.error = Some(error);
                next.loading = false;
            }
            ListAction::Replace(item) => {
                let Some(items) = &mut next.items else {
                    return self;
                };
                match items.iter_mut().find(|row| Q::same(row, &item)) {
                    Some(row) => *row = item,
                    None => return self,
                }
            }
        }
        Rc::new(next)
    }
}

/// What a page hands its filter form and pager: the list's four user actions.
pub struct ListControls<Q: ListQuery> {
    /// The form changed by typing.
    pub on_edit: Callback<Q>,
    /// The form changed by a choice.
    pub on_apply: Callback<Q>,
    pub on_first: Callback<()>,
    pub on_next: Callback<()>,
}

impl<Q: ListQuery> ListControls<Q> {
    pub fn new(list: &UseReducerHandle<PagedList<Q>>) -> ListControls<Q> {
        let to = |action: fn(Q) -> ListAction<Q>| {
            let list = list.dispatcher();
            Callback::from(move |filter| list.dispatch(action(filter)))
        };
        let page = |action: fn() -> ListAction<Q>| {
            let list = list.dispatcher();
            Callback::from(move |()| list.dispatch(action()))
        };
        ListControls {
            on_edit: to(ListAction::Edit),
            on_apply: to(ListAction::Apply),
            on_first: page(|| ListAction::FirstPage),
            on_next: page(|| ListAction::NextPage),
        }
    }
}

/// The list for `initial`'s first page, fetched again whenever the filter, page or a reload
/// asks for it.
#[hook]
pub fn use_paged_list<Q: ListQuery>(api: &Api, initial: Q) -> UseReducerHandle<PagedList<Q>> {
    let list = use_reducer(move || PagedList::new(initial));

    {
        let (dispatcher, api) = (list.dispatcher(), api.clone());
        let (filter, cursor) = (list.applied.clone(), list.cursor.clone());
        use_effect_with(list.request, move |&request| {
            spawn_local(async move {
                let answer = match &cursor {
                    Some(next) => api::next_page(api.token(), next).await,
                    None => filter.first_page(api.token()).await,
                };
                match answer {
                    Ok(page) => dispatcher.dispatch(ListAction::Loaded { request, page }),
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            dispatcher.dispatch(ListAction::Failed { request, error });
                        }
                    }
                }
            });
        });
    }

    {
        let dispatcher = list.dispatcher();
        use_effect_with(list.edits, move |&edits| {
            if edits > 0 {
                spawn_local(async move {
                    sleep(TYPING_PAUSE).await;
                    dispatcher.dispatch(ListAction::Settle(edits));
                });
            }
        });
    }

    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, PartialEq, Default, Debug)]
    struct Words(String);

    impl ListQuery for Words {
        type Item = String;

        async fn first_page(&self, _token: &str) -> Result<Page<String>, ApiError> {
            Ok(Page::last(Vec::new()))
        }

        fn same(a: &String, b: &String) -> bool {
            a.chars().next() == b.chars().next()
        }
    }

    fn run(list: PagedList<Words>, actions: Vec<ListAction<Words>>) -> PagedList<Words> {
        let mut list = Rc::new(list);
        for action in actions {
            list = list.reduce(action);
        }
        Rc::unwrap_or_clone(list)
    }

    fn page(items: &[&str], next: Option<&str>) -> Page<String> {
        Page {
            items: items.iter().map(|s| s.to_string()).collect(),
            next: next.map(str::to_owned),
        }
    }

    #[test]
    fn typing_applies_only_after_the_latest_change_settles() {
        let list = run(
            PagedList::new(Words::default()),
            vec![
                ListAction::Edit(Words("a".into())),
                ListAction::Edit(Words("ab".into())),
                ListAction::Settle(1),
            ],
        );
        assert_eq!(list.applied, Words::default());
        assert_eq!(list.request(), 0);

        let list = run(list, vec![ListAction::Settle(2)]);
        assert_eq!(list.applied, Words("ab".into()));
        assert_eq!(list.request(), 1);
        assert!(list.loading);
    }

    #[test]
    fn an_overtaken_answer_is_dropped() {
        let list = run(
            PagedList::new(Words::default()),
            vec![
                ListAction::Apply(Words("x".into())),
                ListAction::Loaded {
                    request: 0,
                    page: page(&["stale"], None),
                },
            ],
        );
        assert!(list.items.is_none());
        assert!(list.loading);

        let list = run(
            list,
            vec![ListAction::Loaded {
                request: 1,
                page: page(&["fresh"], None),
            }],
        );
        assert_eq!(list.items, Some(vec!["fresh".to_owned()]));
        assert!(!list.loading);
    }

    #[test]
    fn next_page_follows_next_and_first_page_goes_back() {
        let list = run(
            PagedList::new(Words::default()),
            vec![ListAction::Loaded {
                request: 0,
                page: page(&["a"], Some("/api/v1/words?cursor=2")),
            }],
        );
        let list = run(list, vec![ListAction::NextPage]);
        assert_eq!(list.cursor.as_deref(), Some("/api/v1/words?cursor=2"));
        assert_eq!(list.page_number, 2);
        assert_eq!(list.request(), 1);

        let list = run(
            list,
            vec![
                ListAction::Loaded {
                    request: 1,
                    page: page(&["b"], None),
                },
                ListAction::NextPage,
            ],
        );
        // The last page has no next: nothing to follow.
        assert_eq!(list.page_number, 2);
        assert_eq!(list.request(), 1);

        let list = run(list, vec![ListAction::FirstPage]);
        assert_eq!(list.cursor, None);
        assert_eq!(list.page_number, 1);
    }

    #[test]
    fn a_new_filter_starts_at_the_first_page() {
        let list = run(
            PagedList::new(Words::default()),
            vec![
                ListAction::Loaded {
                    request: 0,
                    page: page(&["a"], Some("/api/v1/words?cursor=2")),
                },
                ListAction::NextPage,
                ListAction::Apply(Words("b".into())),
            ],
        );
        assert_eq!(list.cursor, None);
        assert_eq!(list.page_number, 1);
    }

    #[test]
    fn an_item_is_replaced_in_place() {
        let list = run(
            PagedList::new(Words::default()),
            vec![
                ListAction::Loaded {
                    request: 0,
                    page: page(&["apple", "banana"], None),
                },
                ListAction::Replace("blueberry".into()),
            ],
        );
        assert_eq!(
            list.items,
            Some(vec!["apple".to_owned(), "blueberry".to_owned()])
        );
    }
}
