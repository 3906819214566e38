//! Every sentence the connection shows a person, in one place, so that they match the product
//! description (../shared/product/tenant-connect.md) and can be changed together.

pub const ROLE_NAME: &str = "Teams Communications Administrator";

// The four steps.
pub const STEP_SIGN_IN: &str = "Sign in to the admin portal";
pub const STEP_CONSENT: &str = "Sign in to Microsoft to connect the app";
pub const STEP_ROLE: &str = "Assign access to the app in Entra ID";
pub const STEP_VERIFY: &str = "Verify setup";
pub const STEP_SIGN_IN_DONE: &str = "You're signed in.";
pub const STEP_CONSENT_WAITING: &str =
    "Waiting for Microsoft: finish signing in there and click Accept.";
pub const STEP_CONSENT_LOST: &str =
    "Microsoft no longer has the app's consent for your tenant. Grant it again.";
pub const STEP_CONSENT_PARTIAL: &str =
    "Microsoft granted the app fewer permissions than it needs: grant admin consent again.";
pub const STEP_CONSENT_DONE: &str = "Admin consent granted.";
pub const STEP_ROLE_DONE: &str = "The app holds the Teams Communications Administrator role.";
pub const STEP_ROLE_MISSING: &str =
    "The app does not hold the Teams Communications Administrator role yet.";
pub const STEP_ROLE_NEXT: &str = "Assign the role in Entra ID, then verify.";

pub fn step_connected(tenant_name: &str) -> String {
    format!("Connected to {tenant_name}.")
}

pub const VERIFY_FAILED_TITLE: &str = "We weren't able to verify the app connection";
pub const VERIFY_FAILED: &str = "We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.";

pub const NEED_ADMIN_APPROVAL_TITLE: &str = "Need admin approval";
pub const NEED_ADMIN_APPROVAL: &str = "To connect the app you need to be able to grant tenant-wide consent on behalf of your organization, and your Microsoft user does not have sufficient privileges. Check that you signed in with your Microsoft credentials associated with your company's Microsoft 365 tenant (not a personal Microsoft account). If you did, ask someone else in your organization who has the required rights (Global Administrator, Privileged Role Administrator, or a custom role allowed to grant permission to applications on behalf of all users) to complete the tenant connection process themselves in this portal.";

pub const CONSENT_GRANTED_TITLE: &str = "Admin consent granted";
pub const CONSENT_GRANTED: &str = "Microsoft admin consent is granted. Next, assign the app the Teams Communications Administrator role (step 3), then click Verify Setup.";

pub const PERSONAL_ACCOUNT_TITLE: &str = "Sign in with your work account";
pub const PERSONAL_ACCOUNT: &str = "You signed in with a personal Microsoft account. You must sign in using your Microsoft credentials connected to your company's Microsoft 365 tenant (not a personal Microsoft account), as someone authorized to grant tenant-wide consent on behalf of your organization.";

pub const WRONG_DIRECTORY_TITLE: &str = "Sign in with an account of your organization";
pub const WRONG_DIRECTORY: &str = "Microsoft says the account you signed in with does not belong to the tenant being connected. You must sign in using your Microsoft credentials connected to your company's Microsoft 365 tenant (not a personal Microsoft account).";

pub const SIGN_IN_FAILED_TITLE: &str = "We couldn't confirm your Microsoft sign-in";
pub const SIGN_IN_FAILED: &str = "Microsoft's answer to the sign-in could not be confirmed, so nothing was changed. Please try again or contact support if you're unable to complete this step.";

pub const TENANT_MISMATCH_TITLE: &str = "The consent named a different tenant";
pub const TENANT_MISMATCH: &str = "Microsoft's consent answer named a tenant other than the one you signed in to, so it was refused and nothing was changed. Click Set Up Tenant Connection and sign in and accept with an account of the tenant you want to connect.";

pub const TENANT_TAKEN_TITLE: &str = "This Microsoft tenant is connected to another account";
pub const TENANT_TAKEN: &str = "This Microsoft tenant is already connected to another account in this portal, so it cannot be connected here. Ask an admin of that account to disconnect it, or contact support if you believe this is wrong.";

pub const TENANT_DIFFERS_TITLE: &str = "Your account is connected to a different Microsoft tenant";
pub const TENANT_DIFFERS: &str = "You signed in to a Microsoft tenant other than the one your account is connected to, so it was refused and nothing was changed. To connect a different tenant, an admin of your account must disconnect the current one first.";

pub const NOT_ALLOWED_TITLE: &str = "Only an admin of your account can do this now";
pub const NOT_ALLOWED: &str = "The person who started this sign-in may no longer connect the tenant: once a tenant is connected only an admin of your account can sign in to Microsoft again for it, and only members of your account can connect it. Nothing was changed.";

/// Why a non-admin cannot start step 2 on a connected account.
pub const SETUP_ADMINS_ONLY: &str = "Your account is connected to a Microsoft tenant: only an admin of your account can sign in to Microsoft again for it.";

pub const CONSENT_ERROR_TITLE: &str = "Microsoft could not complete the consent";

pub fn consent_error(first_line: &str) -> String {
    format!("Microsoft could not complete the consent: {first_line} Try again, or contact support quoting the error code.")
}

pub const CONNECTED_TITLE: &str = "Connected";
pub const NEEDS_ATTENTION_TITLE: &str = "Your tenant connection needs attention";

pub fn connected(tenant_name: &str) -> String {
    format!("Your tenant is successfully connected: {tenant_name}. You can now see all your users and manage their phone service in the portal.")
}

pub fn role_remediation(app_display_name: &str) -> String {
    format!(
        "In Microsoft Entra ID, select Identity > Roles & admins > Roles & admins > {ROLE_NAME} > Add assignment, \
         search for \"{app_display_name}\", select it, then click Add. You need permission to assign roles. \
         Microsoft can take a few minutes to apply a new role: verify again shortly after."
    )
}

pub const CONSENT_REMEDIATION: &str = "Click Set Up Tenant Connection and sign in to Microsoft as a Global Administrator or Privileged Role Administrator of your tenant, then click Accept.";

pub const PERMISSIONS_REMEDIATION: &str = "Grant admin consent again: click Set Up Tenant Connection, sign in to Microsoft as a Global Administrator or Privileged Role Administrator of your tenant and click Accept. Consent grants the app every permission it needs.";

pub const OPERATOR_PROBLEM: &str = "Microsoft refused the portal's own app credentials. This is a problem on our side, not in your tenant: please contact support.";

pub const TRY_AGAIN: &str = "Try again in a moment. If it keeps failing, contact support.";
