//! The Microsoft Graph subset (CONTRACT.md section 4), under `/_microsoft/graph`.

mod auth;
mod delta;
mod directory;
mod errors;
mod paging;
mod policy;
mod roles;
mod teams;
mod users;

use actix_web::{web, HttpResponse};

pub use errors::request_ids;
pub(crate) use teams::{number_json, valid_e164};

use crate::http;

const TELEPHONY: &str = "/v1.0/admin/teams/telephoneNumberManagement";
const POLICY: &str = "/v1.0/admin/teams/policy";
/// The namespace SDKs put before bound actions and functions.
const NAMESPACE: &str = "microsoft.graph.teamsAdministration.";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1.0/users", web::get().to(users::list))
        .route("/v1.0/users/delta", web::get().to(delta::delta))
        .route("/v1.0/users/{id}", web::get().to(users::get))
        .route("/v1.0/organization", web::get().to(directory::organization))
        .route(
            "/v1.0/tenantRelationships/{call}",
            web::get().to(directory::tenant_information),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments",
            web::get().to(roles::list),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments",
            web::post().to(roles::create),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments/{id}",
            web::get().to(roles::get),
        )
        .route(
            "/v1.0/roleManagement/directory/roleAssignments/{id}",
            web::delete().to(roles::delete),
        )
        .route(
            &format!("{TELEPHONY}/numberAssignments"),
            web::get().to(teams::list_numbers),
        )
        .configure(|cfg| {
            // The docs' short action names and the namespace-qualified ones SDKs send
            // (TELEPHONY.md correction 4).
            for prefix in ["", NAMESPACE] {
                cfg.route(
                    &format!("{TELEPHONY}/numberAssignments/{prefix}assignNumber"),
                    web::post().to(teams::assign_number),
                )
                .route(
                    &format!("{TELEPHONY}/numberAssignments/{prefix}unassignNumber"),
                    web::post().to(teams::unassign_number),
                )
                .route(
                    &format!("{TELEPHONY}/numberAssignments/{prefix}updateNumber"),
                    web::post().to(teams::update_number),
                )
                .route(
                    &format!("{POLICY}/userAssignments/{prefix}assign"),
                    web::post().to(policy::assign),
                )
                .route(
                    &format!("{POLICY}/userAssignments/{prefix}unassign"),
                    web::post().to(policy::unassign),
                );
            }
        })
        .route(
            &format!("{TELEPHONY}/numberAssignments/{{id}}"),
            web::get().to(teams::get_number),
        )
        // getPolicyId(type='…',name='…'); userAssignments (no list method).
        .route(&format!("{POLICY}/{{call}}"), web::get().to(policy::get))
        .route(
            &format!("{TELEPHONY}/operations/{{id}}"),
            web::get().to(teams::operation),
        )
        // `operations('{id}')`, the form of the Location header.
        .route(
            &format!("{TELEPHONY}/{{call}}"),
            web::get().to(teams::operation_call),
        )
        .route(
            "/v1.0/admin/teams/userConfigurations",
            web::get().to(teams::list_user_configurations),
        )
        .route(
            "/v1.0/admin/teams/userConfigurations/{id}",
            web::get().to(teams::user_configuration),
        )
        // `servicePrincipals(appId='{appId}')`, matched last among single segments.
        .route("/v1.0/{call}", web::get().to(directory::service_principal))
        .default_service(web::to(not_found));
}

/// Graph's answer to an unknown segment.
async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    use actix_web::ResponseError;
    errors::GraphError::new(
        &req,
        actix_web::http::StatusCode::BAD_REQUEST,
        "BadRequest",
        format!(
            "Resource not found for the segment '{}'.",
            last_segment(req.path())
        ),
    )
    .error_response()
}

fn last_segment(path: &str) -> String {
    http::decode_path(path.rsplit('/').next().unwrap_or(""))
}

/// The argument of an OData function-call segment: `name(key='value')` or `name('value')`.
fn call_argument(segment: &str, name: &str, key: &str) -> Option<String> {
    let decoded = http::decode_path(segment);
    let inner = decoded
        .strip_prefix(name)?
        .strip_prefix('(')?
        .strip_suffix(')')?
        .trim();
    let value = match inner.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case(key) => v.trim(),
        Some(_) => return None,
        None => inner,
    };
    let value = value
        .strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .unwrap_or(value);
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::call_argument;

    #[test]
    fn parses_function_call_segments() {
        assert_eq!(
            call_argument(
                "servicePrincipals(appId='abc')",
                "servicePrincipals",
                "appId"
            ),
            Some("abc".into())
        );
        assert_eq!(
            call_argument("operations(%27x-1%27)", "operations", "id"),
            Some("x-1".into())
        );
        assert_eq!(call_argument("users", "servicePrincipals", "appId"), None);
    }
}

/// Parses `a eq 'x' and b eq 'y'` (the only `$filter` form the simulator supports).
fn eq_filter(raw: &str) -> Option<Vec<(String, String)>> {
    let mut clauses = Vec::new();
    let mut rest = raw.trim();
    loop {
        let (field, after) = rest.split_once(char::is_whitespace)?;
        let after = after.trim_start();
        let after = after
            .strip_prefix("eq ")
            .or_else(|| after.strip_prefix("EQ "))?
            .trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('\'') {
            let end = quoted.find('\'')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        clauses.push((field.to_string(), value.to_string()));
        let tail = tail.trim();
        if tail.is_empty() {
            return Some(clauses);
        }
        let lower = tail.to_ascii_lowercase();
        if !lower.starts_with("and ") {
            return None;
        }
        rest = tail[4..].trim_start();
    }
}

#[cfg(test)]
mod filter_tests {
    use super::eq_filter;

    #[test]
    fn parses_eq_and_chains() {
        assert_eq!(
            eq_filter("principalId eq 'abc'"),
            Some(vec![("principalId".into(), "abc".into())])
        );
        assert_eq!(
            eq_filter("numberType eq 'directRouting' and assignmentStatus eq 'userAssigned'"),
            Some(vec![
                ("numberType".into(), "directRouting".into()),
                ("assignmentStatus".into(), "userAssigned".into())
            ])
        );
        assert_eq!(eq_filter("startswith(a,'b')"), None);
        assert_eq!(eq_filter("a eq 'b' or c eq 'd'"), None);
    }
}
