//! Typed Graph calls (CONTRACT section 4), each with the tenant's app token. A 401
//! `InvalidAuthenticationToken` means our cached token went stale: it is replaced and the
//! request sent once more.

use reqwest::header::LOCATION;
use secrecy::ExposeSecret;
use serde::{de::DeserializeOwned, Serialize};
use tokio::time::Instant;
use url::Url;

use super::{
    endpoint_url,
    error::Service,
    retry::Reply,
    tokens::TokenUse,
    wire::{
        unwrap_single, AssignNumber, NumberAssignment, NumberType, Operation, OperationRef,
        Organization, Page, TenantInformation, UnassignNumber, UpdateNumber, UserConfiguration,
    },
    MicrosoftClient, MsError,
};

/// A collection whose readability verification proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    Users,
    NumberAssignments,
    UserConfigurations,
}

const NUMBER_MANAGEMENT: [&str; 4] = ["v1.0", "admin", "teams", "telephoneNumberManagement"];

/// `$top` of numberAssignments: its documented maximum.
const NUMBER_PAGE: usize = 1000;

impl MicrosoftClient {
    /// `GET /v1.0/tenantRelationships/findTenantInformationByTenantId(tenantId='{id}')`, with
    /// the app token of `tenant_id` itself.
    pub async fn tenant_information(&self, tenant_id: &str) -> Result<TenantInformation, MsError> {
        let function = format!(
            "findTenantInformationByTenantId(tenantId='{}')",
            tenant_id.replace('\'', "''")
        );
        let url = endpoint_url(
            &self.inner.graph,
            &["v1.0", "tenantRelationships", &function],
        );
        self.graph_get(tenant_id, "tenant_information", url).await
    }

    /// `GET /v1.0/organization`: the tenant's own entry.
    pub async fn organization(&self, tenant: &str) -> Result<Organization, MsError> {
        let url = endpoint_url(&self.inner.graph, &["v1.0", "organization"]);
        let page: Page<Organization> = self.graph_get(tenant, "organization", url).await?;
        page.value
            .into_iter()
            .next()
            .ok_or_else(|| MsError::Malformed("the organization list is empty".to_owned()))
    }

    /// The tenant's telephone numbers (`$filter` optional), every page. The deadline applies
    /// to each page.
    ///
    /// Paging (TELEPHONY section 3): `@odata.nextLink` is followed when present; otherwise the
    /// next page is asked with `$top=1000&$skip=k` until a page holds fewer than 1000 numbers.
    pub async fn number_assignments(
        &self,
        tenant: &str,
        filter: Option<&str>,
    ) -> Result<Vec<NumberAssignment>, MsError> {
        let mut query = String::new();
        if let Some(filter) = filter {
            query.push_str("$filter=");
            query.push_str(&encode_component(filter));
            query.push('&');
        }
        query.push_str(&format!("$top={NUMBER_PAGE}"));
        let mut url = self.number_url(&["numberAssignments"]);
        url.set_query(Some(&query));

        let mut all: Vec<NumberAssignment> = Vec::new();
        let mut skipping = false;
        let mut previous_first: Option<String> = None;
        loop {
            let page: Page<NumberAssignment> = self
                .graph_get(tenant, "number_assignments", url.clone())
                .await?;
            let first = page.value.first().map(|n| n.telephone_number.clone());
            if skipping && first.is_some() && first == previous_first {
                // A server that ignores `$skip` would send the same page forever.
                return Err(MsError::Malformed(format!(
                    "numberAssignments answered $skip={} with the page before it",
                    all.len()
                )));
            }
            let full = page.value.len() >= NUMBER_PAGE;
            all.extend(page.value);
            url = match page.next_link {
                Some(link) => {
                    skipping = false;
                    self.next_url(&url, &link)?
                }
                None if full => {
                    skipping = true;
                    let mut next = self.number_url(&["numberAssignments"]);
                    next.set_query(Some(&format!("{query}&$skip={}", all.len())));
                    next
                }
                None => return Ok(all),
            };
            previous_first = first;
        }
    }

    /// The assignment of one telephone number (`$filter=telephoneNumber eq '+…'`), `None`
    /// when the tenant does not know it. A number without its `+` is looked up with it: Graph
    /// stores every number with one.
    pub async fn number_assignment_of(
        &self,
        tenant: &str,
        telephone_number: &str,
    ) -> Result<Option<NumberAssignment>, MsError> {
        let wanted = telephone_number.trim();
        let wanted = if wanted.starts_with('+') {
            wanted.to_owned()
        } else {
            format!("+{wanted}")
        };
        let filter = format!("telephoneNumber eq '{}'", wanted.replace('\'', "''"));
        let numbers = self.number_assignments(tenant, Some(&filter)).await?;
        Ok(numbers
            .into_iter()
            .find(|n| n.telephone_number.trim().eq_ignore_ascii_case(&wanted)))
    }

    /// `GET .../numberAssignments/{id}`.
    pub async fn number_assignment(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<NumberAssignment, MsError> {
        let url = self.number_url(&["numberAssignments", id]);
        self.graph_get_single(tenant, "number_assignment", url)
            .await
    }

    /// `POST .../numberAssignments/assignNumber`: 202 and the operation to poll.
    pub async fn assign_number(
        &self,
        tenant: &str,
        request: &AssignNumber,
    ) -> Result<OperationRef, MsError> {
        let url = self.number_url(&["numberAssignments", "assignNumber"]);
        self.graph_operation(tenant, "assign_number", url, request)
            .await
    }

    /// `POST .../numberAssignments/unassignNumber`: 202 and the operation to poll.
    pub async fn unassign_number(
        &self,
        tenant: &str,
        telephone_number: &str,
        number_type: NumberType,
    ) -> Result<OperationRef, MsError> {
        let url = self.number_url(&["numberAssignments", "unassignNumber"]);
        let body = UnassignNumber {
            telephone_number,
            number_type: &number_type,
        };
        self.graph_operation(tenant, "unassign_number", url, &body)
            .await
    }

    /// `POST .../numberAssignments/updateNumber` (the emergency location).
    pub async fn update_number(
        &self,
        tenant: &str,
        telephone_number: &str,
        location_id: Option<&str>,
    ) -> Result<(), MsError> {
        let url = self.number_url(&["numberAssignments", "updateNumber"]);
        let body = UpdateNumber {
            telephone_number,
            location_id,
        };
        let deadline = self.inner.caller.deadline();
        let call = async {
            self.graph_send(tenant, "update_number", deadline, |http| {
                http.post(url.clone()).json(&body)
            })
            .await
            .map(|_| ())
        };
        self.inner
            .caller
            .run("update_number", tenant, deadline, call)
            .await
    }

    /// The state of a number operation: `GET` its `Location`.
    pub async fn operation(
        &self,
        tenant: &str,
        operation: &OperationRef,
    ) -> Result<Operation, MsError> {
        let url = Url::parse(&operation.url)
            .map_err(|e| MsError::Malformed(format!("operation URL {:?}: {e}", operation.url)))?;
        self.within_graph(&url, "the operation URL")?;
        self.graph_get_single(tenant, "operation", url).await
    }

    /// Reads one item of a collection (`$top=1`): the cheapest proof that the app may read
    /// it. A missing permission answers 403 (`Authorization_RequestDenied`, or `forbidden` on
    /// the Teams endpoints).
    pub async fn probe(&self, tenant: &str, probe: Probe) -> Result<(), MsError> {
        let (segments, query, endpoint): (&[&str], &str, &'static str) = match probe {
            Probe::Users => (&["v1.0", "users"], "$select=id&$top=1", "probe_users"),
            Probe::NumberAssignments => (
                &[
                    "v1.0",
                    "admin",
                    "teams",
                    "telephoneNumberManagement",
                    "numberAssignments",
                ],
                "$top=1",
                "probe_number_assignments",
            ),
            Probe::UserConfigurations => (
                &["v1.0", "admin", "teams", "userConfigurations"],
                "$top=1",
                "probe_user_configurations",
            ),
        };
        let mut url = endpoint_url(&self.inner.graph, segments);
        url.set_query(Some(query));
        let _: Page<serde_json::Value> = self.graph_get(tenant, endpoint, url).await?;
        Ok(())
    }

    /// `GET /v1.0/admin/teams/userConfigurations/{userId}`.
    pub async fn user_configuration(
        &self,
        tenant: &str,
        user_id: &str,
    ) -> Result<UserConfiguration, MsError> {
        let url = endpoint_url(
            &self.inner.graph,
            &["v1.0", "admin", "teams", "userConfigurations", user_id],
        );
        self.graph_get_single(tenant, "user_configuration", url)
            .await
    }

    fn number_url(&self, tail: &[&str]) -> Url {
        let mut segments = NUMBER_MANAGEMENT.to_vec();
        segments.extend_from_slice(tail);
        endpoint_url(&self.inner.graph, &segments)
    }

    /// Refuses a URL Microsoft handed us (nextLink, Location) unless it is on Graph's origin:
    /// our bearer token goes nowhere else.
    pub(crate) fn within_graph(&self, url: &Url, what: &str) -> Result<(), MsError> {
        if url.origin() == self.inner.graph.origin() {
            Ok(())
        } else {
            Err(MsError::Malformed(format!(
                "{what} {url} is not on Microsoft Graph's origin"
            )))
        }
    }

    /// One GET call, its JSON answer parsed.
    pub(crate) async fn graph_get<T: DeserializeOwned>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: Url,
    ) -> Result<T, MsError> {
        let deadline = self.inner.caller.deadline();
        let call = async {
            let reply = self
                .graph_send(tenant, endpoint, deadline, |http| http.get(url.clone()))
                .await?;
            parse_json(&reply.body)
        };
        self.inner
            .caller
            .run(endpoint, tenant, deadline, call)
            .await
    }

    /// One GET of a single entity, bare or wrapped in `{"value":{…}}`.
    async fn graph_get_single<T: DeserializeOwned>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: Url,
    ) -> Result<T, MsError> {
        let body: serde_json::Value = self.graph_get(tenant, endpoint, url).await?;
        serde_json::from_value(unwrap_single(body)).map_err(|e| {
            MsError::Malformed(format!("the Graph answer is not the JSON we expect: {e}"))
        })
    }

    /// One POST answered by 202 and a `Location` to poll.
    async fn graph_operation<B: Serialize + Sync>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        url: Url,
        body: &B,
    ) -> Result<OperationRef, MsError> {
        let deadline = self.inner.caller.deadline();
        let call = async {
            let reply = self
                .graph_send(tenant, endpoint, deadline, |http| {
                    http.post(url.clone()).json(body)
                })
                .await?;
            let location = reply
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| MsError::Malformed("202 without a Location".to_owned()))?;
            let location = url
                .join(location)
                .map_err(|e| MsError::Malformed(format!("Location {location:?}: {e}")))?;
            self.within_graph(&location, "the Location")?;
            let id = operation_id(&location).ok_or_else(|| {
                MsError::Malformed(format!("no operation id in the Location {location}"))
            })?;
            Ok(OperationRef {
                url: location.into(),
                id,
            })
        };
        self.inner
            .caller
            .run(endpoint, tenant, deadline, call)
            .await
    }

    /// Sends a Graph request with the tenant's app token under `deadline`; replaces a token
    /// Graph calls invalid and tries once more.
    pub(crate) async fn graph_send<B>(
        &self,
        tenant: &str,
        endpoint: &'static str,
        deadline: Instant,
        build: B,
    ) -> Result<Reply, MsError>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync,
    {
        let caller = &self.inner.caller;
        let token = self.token(tenant, deadline, TokenUse::Cached).await?;
        let sent = caller
            .send(endpoint, Service::Graph, deadline, |http| {
                build(http).bearer_auth(token.access_token.expose_secret())
            })
            .await;
        match sent {
            Err(MsError::Graph {
                status: 401, code, ..
            }) if code == "InvalidAuthenticationToken" => {
                tracing::info!("Graph refused the cached token; replacing it");
                caller.count_retry(endpoint);
                let fresh = self
                    .token(tenant, deadline, TokenUse::Replacing(&token.access_token))
                    .await?;
                caller
                    .send(endpoint, Service::Graph, deadline, |http| {
                        build(http).bearer_auth(fresh.access_token.expose_secret())
                    })
                    .await
            }
            other => other,
        }
    }
}

pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, MsError> {
    serde_json::from_slice(body)
        .map_err(|e| MsError::Malformed(format!("the Graph answer is not the JSON we expect: {e}")))
}

/// The id in `.../operations('{id}')` or `.../operations/{id}`.
fn operation_id(url: &Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let last = last.replace("%27", "'");
    let id = match last.strip_prefix("operations(") {
        Some(rest) => rest.strip_suffix(')')?.trim_matches('\''),
        None => last.as_str(),
    };
    (!id.is_empty() && id != "operations").then(|| id.to_owned())
}

/// Percent-encodes a query value, spaces as `%20` (an OData `$filter` holds spaces and `+`).
fn encode_component(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
