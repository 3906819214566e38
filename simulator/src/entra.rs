//! A small "Entra admin center" page for the demo (product setup step 3): a signed-in directory
//! admin assigns the Teams Communications Administrator role to our app by clicking.
//! `GET /_microsoft/entra/{tenant}/roles?user=UPN&search=TEXT`, form POSTs to the same path.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use crate::{
    http::{self, html},
    identity::{
        pages::{self, UserGroup},
        sample_users,
    },
    state::{can_grant_consent, Tenant, TEAMS_COMMUNICATIONS_ADMINISTRATOR},
    Simulator,
};

const ROLE_NAME: &str = "Teams Communications Administrator";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/{tenant}/roles", web::get().to(show))
        .route("/{tenant}/roles", web::post().to(change));
}

fn page(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(pages::layout(
            "Roles and administrators | Microsoft Entra admin center",
            body,
        ))
}

fn sign_in_form(t: &Tenant, selected: Option<&str>) -> String {
    let groups = [UserGroup {
        label: format!("{} ({})", t.name, t.domain),
        users: sample_users(t, 25),
    }];
    format!(
        r#"<form method="get" id="sign-in-form"><label for="user">Signed in as</label>{}<button type="submit" id="sign-in" class="primary">Sign in</button></form>"#,
        pages::user_select(&groups, selected)
    )
}

async fn show(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> HttpResponse {
    let tenant_param = path.into_inner();
    let pairs = http::query_pairs(&req);
    let user = http::query_get(&pairs, "user").filter(|u| !u.is_empty());
    let search = http::query_get(&pairs, "search")
        .unwrap_or("")
        .trim()
        .to_string();
    let world = sim.read();
    let Some(t) = world.tenant(&tenant_param) else {
        return page(
            StatusCode::NOT_FOUND,
            &format!(
                "<h1>Tenant not found</h1><p>No tenant '{}'.</p>",
                html(&tenant_param)
            ),
        );
    };
    let header = format!(
        "<h1>{ROLE_NAME}</h1><p class=\"note\">{} — Roles and administrators</p>",
        html(&t.name)
    );
    let Some(upn) = user else {
        return page(
            StatusCode::OK,
            &format!("{header}{}", sign_in_form(t, None)),
        );
    };
    let Some(me) = t.user(upn) else {
        return page(
            StatusCode::NOT_FOUND,
            &format!(
                "{header}<p id=\"message\">No user '{}' in this directory.</p>{}",
                html(upn),
                sign_in_form(t, None)
            ),
        );
    };
    if !can_grant_consent(&t.roles_of(&me.id)) {
        return page(
            StatusCode::FORBIDDEN,
            &format!(
                "{header}{}<p id=\"message\" class=\"code\">You don't have permission to manage role assignments. {} is not a Global Administrator or Privileged Role Administrator.</p>",
                sign_in_form(t, Some(&me.upn)),
                html(&me.upn)
            ),
        );
    }
    let mut rows = String::new();
    for a in t
        .role_assignments
        .iter()
        .filter(|a| a.role_definition_id == TEAMS_COMMUNICATIONS_ADMINISTRATOR)
    {
        let (name, kind) = principal_name(t, &a.principal_id);
        rows.push_str(&format!(
            r#"<tr class="assignment"><td>{}</td><td>{kind}</td><td><form method="post"><input type="hidden" name="user" value="{}"><input type="hidden" name="assignment_id" value="{}"><button type="submit" class="remove-assignment" name="action" value="remove">Remove</button></form></td></tr>"#,
            html(&name),
            html(&me.upn),
            html(&a.id)
        ));
    }
    if rows.is_empty() {
        rows.push_str(r#"<tr><td colspan="3" id="no-assignments">No assignments</td></tr>"#);
    }
    let needle = search.to_lowercase();
    let mut options = String::new();
    if let Some(sp) = &t.service_principal {
        if needle.is_empty() || sp.display_name.to_lowercase().contains(&needle) {
            options.push_str(&format!(
                r#"<option value="{}">{} (Enterprise application)</option>"#,
                html(&sp.id),
                html(&sp.display_name)
            ));
        }
    }
    if !needle.is_empty() {
        for u in t
            .users
            .iter()
            .filter(|u| u.display_name.to_lowercase().contains(&needle) || u.upn.contains(&needle))
            .take(20)
        {
            options.push_str(&format!(
                r#"<option value="{}">{} ({})</option>"#,
                html(&u.id),
                html(&u.display_name),
                html(&u.upn)
            ));
        }
    }
    let add = if options.is_empty() {
        format!(
            r#"<p id="no-results">No results{}.</p>"#,
            if search.is_empty() {
                String::new()
            } else {
                format!(" for '{}'", html(&search))
            }
        )
    } else {
        format!(
            r#"<form method="post"><input type="hidden" name="user" value="{}"><input type="hidden" name="search" value="{}"><label for="principal">Select member</label><select id="principal" name="principal_id">{options}</select><button type="submit" id="add-assignment" name="action" value="add">Add assignment</button></form>"#,
            html(&me.upn),
            html(&search)
        )
    };
    page(
        StatusCode::OK,
        &format!(
            r#"{header}{}<p class="note">Signed in as <span id="signed-in">{}</span></p>
<p>Can manage all aspects of calling and meetings within the Microsoft Teams service.</p>
<h2>Assignments</h2><table id="assignments"><tr><th>Name</th><th>Type</th><th></th></tr>{rows}</table>
<h2>Add assignments</h2>
<form method="get"><input type="hidden" name="user" value="{}"><input type="text" id="search" name="search" value="{}" placeholder="Search by name"><button type="submit" id="search-button">Search</button></form>
{add}"#,
            sign_in_form(t, Some(&me.upn)),
            html(&me.upn),
            html(&me.upn),
            html(&search)
        ),
    )
}

fn principal_name(t: &Tenant, id: &str) -> (String, &'static str) {
    if let Some(sp) = t.service_principal.as_ref().filter(|sp| sp.id == id) {
        return (sp.display_name.clone(), "Service principal");
    }
    match t.user(id) {
        Some(u) => (u.display_name.clone(), "User"),
        None => (id.to_string(), "Unknown"),
    }
}

async fn change(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let tenant_param = path.into_inner();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |k: &str| http::query_get(&form, k).unwrap_or("").to_string();
    let (upn, action) = (field("user"), field("action"));
    let mut world = sim.write();
    let Some(t) = world.tenant_mut(&tenant_param) else {
        return page(StatusCode::NOT_FOUND, "<h1>Tenant not found</h1>");
    };
    let Some(me) = t.user(&upn).cloned() else {
        return page(
            StatusCode::BAD_REQUEST,
            "<p id=\"message\">Sign in first.</p>",
        );
    };
    if !can_grant_consent(&t.roles_of(&me.id)) {
        return page(
            StatusCode::FORBIDDEN,
            "<p id=\"message\" class=\"code\">You don't have permission to manage role assignments.</p>",
        );
    }
    match action.as_str() {
        "add" => {
            let principal = field("principal_id").to_ascii_lowercase();
            let exists = t.by_id.contains_key(&principal)
                || t.service_principal
                    .as_ref()
                    .is_some_and(|sp| sp.id == principal);
            if !exists {
                return page(
                    StatusCode::BAD_REQUEST,
                    "<p id=\"message\">Select a member to add.</p>",
                );
            }
            t.assign_role(&principal, TEAMS_COMMUNICATIONS_ADMINISTRATOR);
            tracing::info!(tenant = %t.id, "role assigned on the Entra page");
        }
        "remove" => {
            let id = field("assignment_id");
            t.role_assignments.retain(|a| {
                !(a.id == id && a.role_definition_id == TEAMS_COMMUNICATIONS_ADMINISTRATOR)
            });
        }
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "<p id=\"message\">Unknown action.</p>",
            )
        }
    }
    let location = format!(
        "{}?{}",
        req.path(),
        http::query_string(&[("user", me.upn.as_str())])
    );
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}
