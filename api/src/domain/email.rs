use crate::error::ApiError;

/// An email address as the portal keeps it: valid, trimmed, lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ApiError> {
        let candidate = raw.trim().to_lowercase();
        if candidate.len() > 254 || !email_address::EmailAddress::is_valid(&candidate) {
            return Err(ApiError::InvalidInput(format!(
                "'{}' is not a valid email address.",
                raw.chars().take(80).collect::<String>()
            )));
        }
        Ok(Email(candidate))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Admin@Contoso.Example ").map(|e| e.as_str().to_owned());
        assert_eq!(email.ok().as_deref(), Some("admin@contoso.example"));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "admin",
            "a@",
            "@b.c",
            "a b@c.d",
            "x'; DROP TABLE users;--",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
