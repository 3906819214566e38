//! Telephone numbers as the inventory stores them: E.164, parsed and checked by the
//! `phonenumber` crate (Google's libphonenumber metadata), never by hand-written rules.

use std::fmt;

/// A valid number in E.164 (`+14255550100`), with the country its metadata places it in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct E164 {
    text: String,
    country: String,
}

/// Why a text is not a number we can load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber(pub String);

impl fmt::Display for NotANumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl E164 {
    /// Parses an international number (`+` and the country code; spaces, dashes, dots and
    /// brackets allowed). Extensions are refused: an inventory holds whole numbers.
    pub fn parse(text: &str) -> Result<E164, NotANumber> {
        let trimmed = text.trim();
        if !trimmed.starts_with('+') {
            return Err(NotANumber(format!(
                "'{}' is not in international format: start it with + and the country code.",
                shown(trimmed)
            )));
        }
        let number = phonenumber::parse(None, trimmed)
            .map_err(|e| NotANumber(format!("'{}' is not a phone number: {e}.", shown(trimmed))))?;
        if number.extension().is_some() {
            return Err(NotANumber(format!(
                "'{}' has an extension; load whole numbers only.",
                shown(trimmed)
            )));
        }
        if !phonenumber::is_valid(&number) {
            return Err(NotANumber(format!(
                "'{}' is not a valid number in its country's numbering plan.",
                shown(trimmed)
            )));
        }
        let country = number
            .country()
            .id()
            .map(|id| id.as_ref().to_owned())
            .ok_or_else(|| {
                NotANumber(format!(
                    "'{}' belongs to no single country (a non-geographic number).",
                    shown(trimmed)
                ))
            })?;
        let text = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(E164 { text, country })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// ISO 3166 alpha-2, e.g. `US`.
    pub fn country(&self) -> &str {
        &self.country
    }

    /// The number `offset` above this one (same length), checked again by the library.
    pub fn offset(&self, offset: u64) -> Result<E164, NotANumber> {
        let digits = &self.text[1..];
        let value: u64 = digits
            .parse()
            .map_err(|_| NotANumber(format!("'{}' is not numeric.", self.text)))?;
        let next = value
            .checked_add(offset)
            .map(|n| n.to_string())
            .filter(|n| n.len() == digits.len())
            .ok_or_else(|| {
                NotANumber(format!(
                    "The range from {} runs past the last number of that length.",
                    self.text
                ))
            })?;
        E164::parse(&format!("+{next}"))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// At most 40 characters of what the caller sent, for an error message.
fn shown(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn normalises_to_e164_with_its_country() {
        let n = E164::parse(" +1 (425) 555-0100 ").unwrap();
        assert_eq!(n.as_str(), "+14255550100");
        assert_eq!(n.country(), "US");
        assert_eq!(E164::parse("+44 20 7183 8750").unwrap().country(), "GB");
    }

    #[test]
    fn refuses_what_is_not_a_whole_valid_international_number() {
        for bad in [
            "4255550100",
            "+4420718387",
            "+999123",
            "hello",
            "",
            "+1425555010x",
        ] {
            assert!(E164::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(E164::parse("+14255550100;ext=12").is_err());
    }

    #[test]
    fn offsets_stay_valid_and_the_same_length() {
        let n = E164::parse("+14255550100").unwrap();
        assert_eq!(n.offset(99).unwrap().as_str(), "+14255550199");
        let last = E164::parse("+19999999999");
        if let Ok(last) = last {
            assert!(last.offset(1).is_err());
        }
    }
}
