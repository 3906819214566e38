//! Graph collections, page by page: a `Stream` that follows `@odata.nextLink` until it is
//! absent (users, user configurations), and `users/delta` rounds that end with an
//! `@odata.deltaLink` (TELEPHONY section 9). Only one page is held at a time, so memory stays
//! flat however large the tenant.

use futures_util::Stream;
use serde::de::DeserializeOwned;
use url::Url;

use super::{
    wire::{DeltaPage, DeltaResponse, GraphUser, Page, UserConfiguration},
    MicrosoftClient, MsError,
};

/// What follows a page.
enum Next {
    Page(Url),
    Fail(MsError),
    Done,
}

/// The user properties read, by `users()` and tracked by `users_delta()` alike.
const USER_SELECT: &str = "id,userPrincipalName,displayName,usageLocation,accountEnabled,\
                           assignedLicenses,businessPhones,assignedPlans";

/// `$top` of `userConfigurations`: its maximum is not documented (TELEPHONY section 7), so a
/// page size Graph accepts everywhere.
const USER_CONFIGURATIONS_TOP: u32 = 100;

impl MicrosoftClient {
    /// Every user of `tenant`, one Graph page (up to 999 users) per item. Each page is one call
    /// with its own deadline and retries; the stream ends after the first error.
    pub fn users(
        &self,
        tenant: &str,
    ) -> impl Stream<Item = Result<Vec<GraphUser>, MsError>> + Send + '_ {
        let mut url = super::endpoint_url(&self.inner.graph, &["v1.0", "users"]);
        url.set_query(Some(&format!("$select={USER_SELECT}&$top=999")));
        self.pages(tenant.to_owned(), "users", url)
    }

    /// Every Teams user configuration of `tenant` (`GET /v1.0/admin/teams/userConfigurations`),
    /// one Graph page per item, following `@odata.nextLink`; the stream ends after the first
    /// error.
    pub fn user_configurations(
        &self,
        tenant: &str,
    ) -> impl Stream<Item = Result<Vec<UserConfiguration>, MsError>> + Send + '_ {
        let mut url = super::endpoint_url(
            &self.inner.graph,
            &["v1.0", "admin", "teams", "userConfigurations"],
        );
        url.set_query(Some(&format!("$top={USER_CONFIGURATIONS_TOP}")));
        self.pages(tenant.to_owned(), "user_configurations", url)
    }

    /// One round of `users/delta`, page by page (one page in memory). `from` is the
    /// `delta_link` a previous round ended with (it must be on Graph's origin, else the
    /// stream yields `Malformed`); `None` starts an initial round over every user.
    ///
    /// Only the round's last page carries `delta_link`. A round is complete when the stream
    /// ends without an error after such a page; the stream ends after the first error. When
    /// [`MsError::is_delta_expired`] says so, start again with `None`.
    pub fn users_delta(
        &self,
        tenant: &str,
        from: Option<&str>,
    ) -> impl Stream<Item = Result<DeltaPage, MsError>> + Send + '_ {
        let first = match from {
            None => Next::Page(self.delta_url(false)),
            Some(link) => match self.stored_delta_link(link) {
                Ok(url) => Next::Page(url),
                Err(e) => Next::Fail(e),
            },
        };
        self.delta_pages(tenant.to_owned(), first)
    }

    /// A `deltaLink` from now on, without reading any user (`$deltatoken=latest`): the next
    /// `users_delta` round from it returns only later changes.
    pub async fn latest_delta_link(&self, tenant: &str) -> Result<String, MsError> {
        use futures_util::TryStreamExt as _;

        let pages = self.delta_pages(tenant.to_owned(), Next::Page(self.delta_url(true)));
        futures_util::pin_mut!(pages);
        while let Some(page) = pages.try_next().await? {
            if let Some(link) = page.delta_link {
                return Ok(link);
            }
        }
        Err(MsError::Malformed(
            "users/delta with $deltatoken=latest ended without an @odata.deltaLink".to_owned(),
        ))
    }

    /// `/v1.0/users/delta` with the tracked properties (`$top` is not supported there).
    fn delta_url(&self, latest: bool) -> Url {
        let mut url = super::endpoint_url(&self.inner.graph, &["v1.0", "users", "delta"]);
        let mut query = format!("$select={USER_SELECT}");
        if latest {
            query.push_str("&$deltatoken=latest");
        }
        url.set_query(Some(&query));
        url
    }

    /// A stored deltaLink, refused unless it is an absolute URL on Graph's origin.
    fn stored_delta_link(&self, link: &str) -> Result<Url, MsError> {
        let url = Url::parse(link.trim())
            .map_err(|e| MsError::Malformed(format!("the stored deltaLink {link:?}: {e}")))?;
        self.within_graph(&url, "the stored deltaLink")?;
        Ok(url)
    }

    fn delta_pages(
        &self,
        tenant: String,
        first: Next,
    ) -> impl Stream<Item = Result<DeltaPage, MsError>> + Send + '_ {
        futures_util::stream::unfold((tenant, first), move |(tenant, next)| async move {
            match next {
                Next::Done => None,
                // The page before a bad link is still delivered, then the error.
                Next::Fail(e) => Some((Err(e), (tenant, Next::Done))),
                Next::Page(url) => match self.delta_page(&tenant, &url).await {
                    Ok((page, next)) => Some((Ok(page), (tenant, next))),
                    Err(e) => Some((Err(e), (tenant, Next::Done))),
                },
            }
        })
    }

    async fn delta_page(&self, tenant: &str, url: &Url) -> Result<(DeltaPage, Next), MsError> {
        let answer: DeltaResponse = self.graph_get(tenant, "users_delta", url.clone()).await?;
        let mut users = Vec::with_capacity(answer.value.len());
        let mut removed = Vec::new();
        for entry in answer.value {
            if entry.removed.is_some() {
                removed.push(entry.user.id);
            } else {
                users.push(entry.user);
            }
        }
        let (delta_link, next) = match (answer.next_link, answer.delta_link) {
            (Some(link), _) => match self.next_url(url, &link) {
                Ok(next) => (None, Next::Page(next)),
                Err(e) => (None, Next::Fail(e)),
            },
            (None, Some(link)) => match self.delta_link_url(url, &link) {
                Ok(link) => (Some(String::from(link)), Next::Done),
                Err(e) => (None, Next::Fail(e)),
            },
            (None, None) => (
                None,
                Next::Fail(MsError::Malformed(
                    "a users/delta page with neither @odata.nextLink nor @odata.deltaLink"
                        .to_owned(),
                )),
            ),
        };
        Ok((
            DeltaPage {
                users,
                removed,
                delta_link,
            },
            next,
        ))
    }

    /// The deltaLink that ends a round, absolute and on Graph's origin.
    fn delta_link_url(&self, current: &Url, link: &str) -> Result<Url, MsError> {
        let url = current
            .join(link)
            .map_err(|e| MsError::Malformed(format!("@odata.deltaLink {link:?}: {e}")))?;
        self.within_graph(&url, "@odata.deltaLink")?;
        Ok(url)
    }

    /// The pages of a collection, starting at `first`.
    pub(crate) fn pages<T>(
        &self,
        tenant: String,
        endpoint: &'static str,
        first: Url,
    ) -> impl Stream<Item = Result<Vec<T>, MsError>> + Send + '_
    where
        T: DeserializeOwned + Send + 'static,
    {
        futures_util::stream::unfold(
            (tenant, Next::Page(first)),
            move |(tenant, next)| async move {
                match next {
                    Next::Done => None,
                    // The page before a bad nextLink is still delivered, then the error.
                    Next::Fail(e) => Some((Err(e), (tenant, Next::Done))),
                    Next::Page(url) => match self.page::<T>(&tenant, endpoint, &url).await {
                        Ok((items, next)) => Some((Ok(items), (tenant, next))),
                        Err(e) => Some((Err(e), (tenant, Next::Done))),
                    },
                }
            },
        )
    }

    async fn page<T: DeserializeOwned>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: &Url,
    ) -> Result<(Vec<T>, Next), MsError> {
        let page: Page<T> = self.graph_get(tenant, endpoint, url.clone()).await?;
        let next = match page.next_link {
            None => Next::Done,
            Some(link) => match self.next_url(url, &link) {
                Ok(next) => Next::Page(next),
                Err(e) => Next::Fail(e),
            },
        };
        Ok((page.value, next))
    }

    /// The next page's URL: on Graph's origin, and not the page it came with.
    pub(crate) fn next_url(&self, current: &Url, link: &str) -> Result<Url, MsError> {
        let next = current
            .join(link)
            .map_err(|e| MsError::Malformed(format!("@odata.nextLink {link:?}: {e}")))?;
        self.within_graph(&next, "@odata.nextLink")?;
        if next == *current {
            return Err(MsError::Malformed(
                "@odata.nextLink points at the page it came with".to_owned(),
            ));
        }
        Ok(next)
    }
}
