//! `GET /v1.0/users`, `/v1.0/users/{id|upn}` (and the user shape `/v1.0/users/delta` shares).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::{
    auth::{authorize, Need},
    errors::GraphError,
    paging,
};
use crate::{http, state::User, Simulator};

/// Graph's default property set when there is no `$select`.
const DEFAULT_PROPERTIES: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];
const SELECTABLE: [&str; 17] = [
    "id",
    "userPrincipalName",
    "displayName",
    "usageLocation",
    "accountEnabled",
    "assignedLicenses",
    "assignedPlans",
    "businessPhones",
    "givenName",
    "surname",
    "mail",
    "jobTitle",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "createdDateTime",
    "userType",
];

pub async fn list(req: HttpRequest, sim: web::Data<Simulator>) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::Users).await?;
    let pairs = http::query_pairs(&req);
    reject_unsupported(&req, &pairs)?;
    let select = selection(&req, &pairs)?;
    let top = paging::page_size(&req, &pairs, 100, 999, "Request_BadRequest")?;
    // The cursor is the ordinal of the next user: a deletion between pages skips nobody.
    let from = paging::offset(&req, &pairs, "users")?;
    sim.settle(&claims.tid);
    let (values, next) = {
        let world = sim.read();
        let Some(t) = world.tenant(&claims.tid) else {
            return Err(GraphError::internal(&req));
        };
        let rest = t.users_from(u64::try_from(from).unwrap_or(u64::MAX));
        let page = &rest[..rest.len().min(top)];
        let values: Vec<Value> = page
            .iter()
            .map(|u| user_json(u, select.as_deref()))
            .collect();
        let next = page
            .last()
            .filter(|_| rest.len() > page.len())
            .map(|u| u.ordinal + 1);
        (values, next)
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(paging::context(&req, &context_fragment(&select, false))),
    );
    body.insert("value".into(), Value::Array(values));
    if let Some(next) = next {
        let token = paging::encode_token("users", usize::try_from(next).unwrap_or(usize::MAX));
        body.insert(
            "@odata.nextLink".into(),
            json!(paging::link(&req, &pairs, "$skiptoken", &token)),
        );
    }
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

/// Query options the simulator does not serve on users.
pub(super) fn reject_unsupported(
    req: &HttpRequest,
    pairs: &[(String, String)],
) -> Result<(), GraphError> {
    for unsupported in ["$filter", "$search", "$orderby", "$expand", "$count"] {
        if http::query_get(pairs, unsupported).is_some() {
            return Err(GraphError::new(
                req,
                actix_web::http::StatusCode::BAD_REQUEST,
                "Request_UnsupportedQuery",
                format!("The simulator does not support {unsupported} on users."),
            ));
        }
    }
    Ok(())
}

pub async fn get(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::Users).await?;
    let pairs = http::query_pairs(&req);
    let select = selection(&req, &pairs)?;
    let id = path.into_inner();
    let world = sim.read();
    let user = world
        .tenant(&claims.tid)
        .and_then(|t| t.user(&id))
        .ok_or_else(|| GraphError::not_found(&req, &id))?;
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(paging::context(
            &req,
            &format!("{}/$entity", context_fragment(&select, false))
        )),
    );
    if let Value::Object(fields) = user_json(user, select.as_deref()) {
        body.extend(fields);
    }
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

pub(super) fn selection(
    req: &HttpRequest,
    pairs: &[(String, String)],
) -> Result<Option<Vec<String>>, GraphError> {
    let Some(raw) = http::query_get(pairs, "$select") else {
        return Ok(None);
    };
    let mut props = Vec::new();
    for p in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some(known) = SELECTABLE.iter().find(|s| s.eq_ignore_ascii_case(p)) else {
            return Err(GraphError::bad_request(
                req,
                format!("Could not find a property named '{p}' on type 'Microsoft.DirectoryServices.User'."),
            ));
        };
        if !props.iter().any(|x: &String| x == known) {
            props.push(known.to_string());
        }
    }
    Ok(Some(props))
}

pub(super) fn context_fragment(select: &Option<Vec<String>>, delta: bool) -> String {
    let base = match select {
        Some(props) if !props.is_empty() => format!("users({})", props.join(",")),
        _ => "users".into(),
    };
    if delta {
        format!("{base}/delta")
    } else {
        base
    }
}

/// A user in Graph's shape, limited to `select` (plus `id`, which Graph always returns).
pub fn user_json(u: &User, select: Option<&[String]>) -> Value {
    let wanted = |p: &str| match select {
        Some(props) if !props.is_empty() => p == "id" || props.iter().any(|s| s == p),
        _ => DEFAULT_PROPERTIES.contains(&p),
    };
    let (given, surname) = u
        .display_name
        .split_once(' ')
        .unwrap_or((u.display_name.as_str(), ""));
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        if wanted(k) {
            o.insert(k.to_string(), v);
        }
    };
    put("id", json!(u.id));
    put("userPrincipalName", json!(u.upn));
    put("displayName", json!(u.display_name));
    put("givenName", json!(given));
    put("surname", json!(surname));
    put("mail", json!(u.upn));
    put("jobTitle", Value::Null);
    put("mobilePhone", Value::Null);
    put("officeLocation", Value::Null);
    put("preferredLanguage", json!("en-US"));
    put("businessPhones", json!([]));
    put("usageLocation", json!(u.usage_location));
    put("accountEnabled", json!(u.account_enabled));
    put(
        "assignedLicenses",
        Value::Array(
            u.licenses
                .iter()
                .map(|sku| json!({"disabledPlans": u.disabled_plans(sku), "skuId": sku}))
                .collect(),
        ),
    );
    // Returned only on $select (not in DEFAULT_PROPERTIES), as Graph does.
    put(
        "assignedPlans",
        Value::Array(
            u.plans()
                .into_iter()
                .map(|(service, plan)| {
                    json!({
                        "assignedDateTime": u.licensed.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                        "capabilityStatus": "Enabled",
                        "service": service,
                        "servicePlanId": plan,
                    })
                })
                .collect(),
        ),
    );
    put(
        "createdDateTime",
        json!(u.created.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    put("userType", json!("Member"));
    Value::Object(o)
}
