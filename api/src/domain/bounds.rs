//! The bounds every text field keeps before it reaches the database, argon2 or Microsoft: a
//! largest length, and no control characters (a NUL byte alone makes PostgreSQL refuse the
//! query). A field outside them is refused with `400 out_of_bounds` and nothing changes;
//! what is within bounds but not acceptable (not an email address, a password too short)
//! stays `422 invalid_input`.

use crate::error::ApiError;

/// Longest email address (RFC 5321's path limit less the brackets).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest password, given or new (argon2 hashes all of it).
pub const PASSWORD_MAX_CHARS: usize = 256;
/// Longest API token name.
pub const TOKEN_NAME_MAX_CHARS: usize = 100;

/// A single-line text field: at most `max_chars` characters, none of them a control character.
pub fn line(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    length(field, value, max_chars)?;
    if value.chars().any(char::is_control) {
        return Err(ApiError::OutOfBounds(format!(
            "`{field}` must not contain control characters."
        )));
    }
    Ok(())
}

/// A secret (a password): at most `max_chars` characters, anything else is allowed; it is
/// only ever hashed.
pub fn secret(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    length(field, value, max_chars)
}

fn length(field: &str, value: &str, max_chars: usize) -> Result<(), ApiError> {
    // Bytes first: a cheap bound on what is counted.
    if value.len() > max_chars * 4 || value.chars().count() > max_chars {
        return Err(ApiError::OutOfBounds(format!(
            "`{field}` may have at most {max_chars} characters."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(line("name", &"é".repeat(100), 100).is_ok());
        assert!(line("name", &"é".repeat(101), 100).is_err());
        assert!(secret("password", &"x".repeat(256), 256).is_ok());
        assert!(secret("password", &"x".repeat(257), 256).is_err());
    }

    #[test]
    fn control_characters_are_refused_in_lines_only() {
        for bad in ["a\0b", "line\nbreak", "tab\there", "\u{7f}", "\u{9b}"] {
            let refused = line("email", bad, 254).err().map(|e| e.code());
            assert_eq!(refused, Some("out_of_bounds"), "{bad:?}");
        }
        assert!(line("name", "Robert'); DROP TABLE x;-- %_\\ ünï", 100).is_ok());
        assert!(secret("password", "a\0b\nc", 256).is_ok());
    }
}
