//! Graph collections, page by page: a `Stream` that follows `@odata.nextLink` until it is
//! absent. Only one page is held at a time, so memory stays flat however large the tenant.

use futures_util::Stream;
use serde::de::DeserializeOwned;
use url::Url;

use super::{
    wire::{GraphUser, Page},
    MicrosoftClient, MsError,
};

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
            (tenant, Some(first)),
            move |(tenant, next)| async move {
                let url = next?;
                match self.page::<T>(&tenant, endpoint, &url).await {
                    Ok((items, next)) => Some((Ok(items), (tenant, next))),
                    Err(e) => Some((Err(e), (tenant, None))),
                }
            },
        )
    }

    async fn page<T: DeserializeOwned>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: &Url,
    ) -> Result<(Vec<T>, Option<Url>), MsError> {
        let page: Page<T> = self.graph_get(tenant, endpoint, url.clone()).await?;
        let next = match page.next_link {
            None => None,
            Some(link) => {
                let next = url
                    .join(&link)
                    .map_err(|e| MsError::Malformed(format!("@odata.nextLink {link:?}: {e}")))?;
                self.within_graph(&next, "@odata.nextLink")?;
                if next == *url {
                    return Err(MsError::Malformed(
                        "@odata.nextLink points at the page it came with".to_owned(),
                    ));
                }
                Some(next)
            }
        };
        Ok((page.value, next))
    }
}
