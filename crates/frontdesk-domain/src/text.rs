//! Text a person types: names and usernames, and the characters no field
//! accepts.
//!
//! Control characters (C0, DEL, C1) and the invisible "format" characters
//! (zero-width joiners and spaces, bidirectional overrides, the BOM, soft
//! hyphens) are refused where text identifies or names someone: they make two
//! different strings render identically, or reorder what is shown. NUL is
//! refused in every field of every request before anything reaches the
//! database (PostgreSQL rejects it in `text` and `jsonb`; finding F8).

use std::fmt;

/// Whether `c` is a control character (Unicode category Cc).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// Whether `c` is an invisible formatting character (Unicode category Cf, the
/// ones that occur in text): zero-width spaces and joiners, bidirectional
/// marks and overrides, word joiners, the BOM, the soft hyphen.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Characters refused in every field of every request: NUL and the other
/// controls except tab, line feed and carriage return (which JSON metadata
/// may legitimately hold).
pub fn is_refused_anywhere(c: char) -> bool {
    is_control(c) && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether a JSON value holds a character no field accepts, in a key or a
/// string at any depth.
pub fn json_has_refused(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    let bad = |s: &str| s.chars().any(is_refused_anywhere);
    match value {
        Value::String(s) => bad(s),
        Value::Array(items) => items.iter().any(json_has_refused),
        Value::Object(map) => map.iter().any(|(k, v)| bad(k) || json_has_refused(v)),
        _ => false,
    }
}

/// Why a name or username was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("contains control or invisible characters")]
    Invisible,
    #[error("must be 4 to 64 characters of letters, digits, `_`, `-` and `.`")]
    Username,
}

/// A first or last name: trimmed, at most [`PersonName::MAX_CHARS`]
/// characters, no control or invisible characters. Empty means "no name".
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 256;

    /// `Ok(None)` for an empty (or all-space) name.
    pub fn parse(text: &str) -> Result<Option<Self>, TextError> {
        let text = text.trim();
        if text.chars().any(|c| is_control(c) || is_invisible(c)) {
            return Err(TextError::Invisible);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(TextError::TooLong(Self::MAX_CHARS));
        }
        Ok((!text.is_empty()).then(|| Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({:?})", self.0)
    }
}

/// A username: 4 to 64 ASCII letters, digits, `_`, `-` and `.`, unique
/// without regard to case (the store compares the lower-cased form).
#[derive(Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let ok = (4..=64).contains(&text.chars().count())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(TextError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            PersonName::parse("  Ada "),
            Ok(Some(PersonName("Ada".into())))
        );
        assert_eq!(PersonName::parse("   "), Ok(None));
        assert_eq!(
            PersonName::parse("Zoë Ōtsuka"),
            Ok(Some(PersonName("Zoë Ōtsuka".into())))
        );
        for bad in [
            "a\u{0}b",
            "a\nb",
            "al\u{200d}ice",
            "\u{202e}evil",
            "x\u{feff}",
        ] {
            assert_eq!(PersonName::parse(bad), Err(TextError::Invisible), "{bad:?}");
        }
        assert_eq!(
            PersonName::parse(&"é".repeat(257)),
            Err(TextError::TooLong(256))
        );
        assert!(PersonName::parse(&"é".repeat(256)).is_ok());
    }

    #[test]
    fn usernames_follow_the_backend_rule() {
        assert!(Username::parse("ada_lovelace-1.x").is_ok());
        for bad in [
            "abc",
            "<b>x</b> admin",
            "ada\u{0}",
            "adä_x",
            &"a".repeat(65),
        ] {
            assert_eq!(Username::parse(bad), Err(TextError::Username), "{bad:?}");
        }
    }

    #[test]
    fn only_tab_and_newlines_pass_everywhere() {
        assert!(is_refused_anywhere('\0'));
        assert!(is_refused_anywhere('\u{7f}'));
        assert!(is_refused_anywhere('\u{85}'));
        assert!(!is_refused_anywhere('\n'));
        assert!(!is_refused_anywhere('é'));
    }
}
