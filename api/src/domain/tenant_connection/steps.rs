//! The four setup steps as the page shows them, derived from the connection: pure rules.

use shared::tenant_connection::{
    CheckKey, ConnectionState, Notice, NoticeKind, SetupStep, StepKey, StepStatus,
    VerificationOutcome, VerificationReport,
};

/// What the steps are derived from.
pub struct StepInputs<'a> {
    pub state: ConnectionState,
    pub consent_granted: bool,
    pub tenant_name: Option<&'a str>,
    pub notice: Option<&'a Notice>,
    pub report: Option<&'a VerificationReport>,
}

fn step(
    key: StepKey,
    number: u8,
    title: &str,
    status: StepStatus,
    message: Option<String>,
) -> SetupStep {
    SetupStep {
        key,
        number,
        title: title.to_owned(),
        status,
        message,
    }
}

fn check_passed(report: Option<&VerificationReport>, key: CheckKey) -> Option<bool> {
    report?
        .checks
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.passed)
}

pub fn steps(input: &StepInputs<'_>) -> Vec<SetupStep> {
    use ConnectionState as S;
    let granted = input.consent_granted
        && matches!(
            input.state,
            S::ConsentGranted | S::Connected | S::NeedsAttention
        );
    let consent_refused = matches!(
        input.notice.map(|n| n.kind),
        Some(NoticeKind::VerifyFailed | NoticeKind::NeedAdminApproval | NoticeKind::ConsentError)
    ) && !granted;

    let consent = if input.state == S::ConsentPending {
        step(
            StepKey::Consent,
            2,
            "Sign in to Microsoft to connect the app",
            StepStatus::InProgress,
            Some("Waiting for Microsoft: finish signing in there and click Accept.".to_owned()),
        )
    } else if granted && check_passed(input.report, CheckKey::ConsentPresent) == Some(false) {
        step(
            StepKey::Consent,
            2,
            "Sign in to Microsoft to connect the app",
            StepStatus::Failed,
            Some(
                "Microsoft no longer has the app's consent for your tenant. Grant it again."
                    .to_owned(),
            ),
        )
    } else if granted {
        step(
            StepKey::Consent,
            2,
            "Sign in to Microsoft to connect the app",
            StepStatus::Done,
            Some("Admin consent granted.".to_owned()),
        )
    } else if consent_refused {
        step(
            StepKey::Consent,
            2,
            "Sign in to Microsoft to connect the app",
            StepStatus::Failed,
            input.notice.map(|n| n.title.clone()),
        )
    } else {
        step(
            StepKey::Consent,
            2,
            "Sign in to Microsoft to connect the app",
            StepStatus::Todo,
            None,
        )
    };

    let role = match check_passed(input.report, CheckKey::DirectoryRoleAssigned) {
        Some(true) if granted => step(
            StepKey::AssignRole,
            3,
            "Assign access to the app in Entra ID",
            StepStatus::Done,
            Some("The app holds the Teams Communications Administrator role.".to_owned()),
        ),
        Some(false) if granted => step(
            StepKey::AssignRole,
            3,
            "Assign access to the app in Entra ID",
            StepStatus::Failed,
            Some(
                "The app does not hold the Teams Communications Administrator role yet.".to_owned(),
            ),
        ),
        _ if granted => step(
            StepKey::AssignRole,
            3,
            "Assign access to the app in Entra ID",
            StepStatus::InProgress,
            Some("Assign the role in Entra ID, then verify.".to_owned()),
        ),
        _ => step(
            StepKey::AssignRole,
            3,
            "Assign access to the app in Entra ID",
            StepStatus::Todo,
            None,
        ),
    };

    let verify = match (input.state, input.report.map(|r| r.outcome)) {
        (S::Connected, _) => step(
            StepKey::Verify,
            4,
            "Verify setup",
            StepStatus::Done,
            Some(match input.tenant_name {
                Some(name) => format!("Connected to {name}."),
                None => "Connected.".to_owned(),
            }),
        ),
        (
            _,
            Some(
                VerificationOutcome::Failed
                | VerificationOutcome::TimedOut
                | VerificationOutcome::Inconclusive,
            ),
        ) => step(
            StepKey::Verify,
            4,
            "Verify setup",
            StepStatus::Failed,
            input.report.map(|r| r.message.clone()),
        ),
        _ => step(StepKey::Verify, 4, "Verify setup", StepStatus::Todo, None),
    };

    vec![
        step(
            StepKey::SignIn,
            1,
            "Sign in to the admin portal",
            StepStatus::Done,
            Some("You're signed in.".to_owned()),
        ),
        consent,
        role,
        verify,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(input: &StepInputs<'_>) -> Vec<StepStatus> {
        steps(input).into_iter().map(|s| s.status).collect()
    }

    #[test]
    fn a_new_account_has_only_the_portal_sign_in_done() {
        let input = StepInputs {
            state: ConnectionState::NotConnected,
            consent_granted: false,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(
            statuses(&input),
            [
                StepStatus::Done,
                StepStatus::Todo,
                StepStatus::Todo,
                StepStatus::Todo
            ]
        );
    }

    #[test]
    fn after_consent_the_role_is_next_and_connected_is_all_done() {
        let granted = StepInputs {
            state: ConnectionState::ConsentGranted,
            consent_granted: true,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(
            statuses(&granted),
            [
                StepStatus::Done,
                StepStatus::Done,
                StepStatus::InProgress,
                StepStatus::Todo
            ]
        );
        let pending = StepInputs {
            state: ConnectionState::ConsentPending,
            consent_granted: false,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(statuses(&pending)[1], StepStatus::InProgress);
    }
}
