//! HTML of the sign-in pages: OpenID Connect sign-in, admin consent, "Need admin approval", error pages. Every dynamic
//! value goes through `http::html`.

use crate::http::html;

pub fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{}</title>
<style>
body {{ font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; margin: 0; }}
main {{ max-width: 440px; margin: 48px auto; background: #fff; padding: 44px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }}
.brand {{ font-weight: 600; color: #737373; margin-bottom: 16px; }}
h1 {{ font-size: 24px; font-weight: 600; margin: 0 0 16px; }}
select, input[type=text] {{ width: 100%; padding: 6px; margin: 8px 0 16px; }}
button {{ min-width: 108px; padding: 6px 12px; margin: 4px 4px 0 0; border: none; cursor: pointer; }}
#accept, #add-assignment, .primary {{ background: #0067b8; color: #fff; }}
#cancel, #back-to-app, .remove-assignment {{ background: #ccc; }}
.code {{ font-family: monospace; background: #f8f8f8; padding: 8px; word-break: break-all; }}
.note {{ color: #605e5c; font-size: 13px; }}
table {{ width: 100%; border-collapse: collapse; }} td, th {{ text-align: left; padding: 4px; border-bottom: 1px solid #eee; }}
</style></head>
<body><main><div class="brand">Microsoft</div>
{}
</main></body></html>"#,
        html(title),
        body
    )
}

/// One `<optgroup>` of the user picker: a tenant label and (UPN, option label) pairs.
pub struct UserGroup {
    pub label: String,
    pub users: Vec<(String, String)>,
}

pub fn user_select(groups: &[UserGroup], selected: Option<&str>) -> String {
    let mut out = String::from(r#"<select id="user" name="user">"#);
    for g in groups {
        out.push_str(&format!(r#"<optgroup label="{}">"#, html(&g.label)));
        for (upn, label) in &g.users {
            let sel = if selected.is_some_and(|s| s.eq_ignore_ascii_case(upn)) {
                " selected"
            } else {
                ""
            };
            out.push_str(&format!(
                r#"<option value="{}"{sel}>{}</option>"#,
                html(upn),
                html(label)
            ));
        }
        out.push_str("</optgroup>");
    }
    out.push_str("</select>");
    out
}

/// Who is signing in on a page: a picker of directory users, or the session's user (single
/// sign-on) posted as a hidden `user` field.
pub enum Account<'a> {
    Picker {
        groups: &'a [UserGroup],
        selected: Option<&'a str>,
    },
    SignedIn {
        name: &'a str,
        upn: &'a str,
        /// The same page with the picker (`prompt=select_account`).
        switch_href: &'a str,
    },
}

fn account_fields(account: &Account<'_>, picker_label: &str) -> String {
    match account {
        Account::Picker { groups, selected } => format!(
            r#"<label for="user">{}</label>
{}
<p class="note">Simulated sign-in: pick a directory user. Each tenant lists its administrators and some of its other users; a form POST accepts any UPN.</p>"#,
            html(picker_label),
            user_select(groups, *selected)
        ),
        Account::SignedIn {
            name,
            upn,
            switch_href,
        } => format!(
            r#"<p>Signed in as <span id="signed-in">{} ({})</span></p>
<input type="hidden" name="user" value="{}">
<p class="note"><a id="use-another-account" href="{}">Use another account</a></p>"#,
            html(name),
            html(upn),
            html(upn),
            html(switch_href)
        ),
    }
}

pub fn consent(
    app_name: &str,
    publisher_domain: &str,
    permissions: &[String],
    account: &Account<'_>,
) -> String {
    let perms: String = permissions
        .iter()
        .map(|p| format!("<li>{}</li>", html(p)))
        .collect();
    layout(
        "Permissions requested",
        &format!(
            r#"<h1>Permissions requested</h1>
<p><strong id="app-name">{}</strong><br><span class="note">{}</span></p>
<p>This application is not published by Microsoft.</p>
<p>This app would like to:</p>
<ul id="permissions">{perms}</ul>
<p>If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>
<form method="post">
{}
<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>
<button type="submit" id="accept" name="action" value="accept">Accept</button>
</form>"#,
            html(app_name),
            html(publisher_domain),
            account_fields(account, "Signed in as")
        ),
    )
}

/// The OpenID Connect sign-in page ("Pick an account"); `error` is an AADSTS description shown
/// above the form when a previous attempt failed.
pub fn sign_in(
    app_name: &str,
    groups: &[UserGroup],
    selected: Option<&str>,
    error: Option<&str>,
) -> String {
    let error = error
        .map(|e| format!(r#"<div class="code" id="error-code">{}</div>"#, html(e)))
        .unwrap_or_default();
    layout(
        "Sign in to your account",
        &format!(
            r#"<h1>Pick an account</h1>
<p>to continue to <strong id="app-name">{}</strong></p>
{error}
<form method="post">
{}
<button type="submit" id="cancel" name="action" value="cancel">Cancel</button>
<button type="submit" id="accept" name="action" value="accept">Sign in</button>
</form>"#,
            html(app_name),
            account_fields(&Account::Picker { groups, selected }, "Account")
        ),
    )
}

pub fn need_approval(app_name: &str, upn: &str, description: &str) -> String {
    layout(
        "Need admin approval",
        &format!(
            r#"<p class="note">{}</p>
<h1>Need admin approval</h1>
<p><strong>{}</strong> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
<p><a id="sign-in-other" href="">Have an admin account? Sign in with that account</a></p>
<div class="code" id="error-code">{}</div>
<form method="post">
<input type="hidden" name="user" value="{}">
<button type="submit" id="back-to-app" name="action" value="back">Back to app</button>
</form>"#,
            html(upn),
            html(app_name),
            html(description),
            html(upn)
        ),
    )
}

pub fn error(title: &str, description: &str) -> String {
    layout(
        title,
        &format!(
            r#"<h1>{}</h1>
<p>Sorry, but we're having trouble signing you in.</p>
<div class="code" id="error-code">{}</div>"#,
            html(title),
            html(description)
        ),
    )
}
