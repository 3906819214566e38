//! Graph collections, page by page: a `Stream` that follows `@odata.nextLink` until it is
//! absent. Only one page is held at a time, so memory stays flat however large the tenant.

use futures_util::Stream;
use serde::de::DeserializeOwned;
use url::Url;

use super::{
    wire::{GraphUser, Page},
    MicrosoftClient, MsError,
};

/// What follows a page.
enum Next {
    Page(Url),
    Fail(MsError),
    Done,
}

const USERS_QUERY: &str = "$select=id,userPrincipalName,displayName,usageLocation,accountEnabled,\
                           assignedLicenses,businessPhones&$top=999";

impl MicrosoftClient {
    /// Every user of `tenant`, one Graph page (up to 999 users) per item. Each page is one call
    /// with its own deadline and retries; the stream ends after the first error.
    pub fn users(
        &self,
        tenant: &str,
    ) -> impl Stream<Item = Result<Vec<GraphUser>, MsError>> + Send + '_ {
        let mut url = super::endpoint_url(&self.inner.graph, &["v1.0", "users"]);
        url.set_query(Some(USERS_QUERY));
        self.pages(tenant.to_owned(), "users", url)
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
    fn next_url(&self, current: &Url, link: &str) -> Result<Url, MsError> {
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
